using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Issue 15: raw HTTP/1.1 requests to the push API (<see cref="PushApiRequestGenerator"/>), written over TCP. Each
/// gets a defined answer (a valid push 200, or 503 when the server sheds load; anything else a 4xx the API documents,
/// never a 5xx otherwise) and its connection ends cleanly; across the run the server's properties hold
/// (<see cref="FuzzServer"/>): the canary's pushes, accepted meanwhile, all arrive in order.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class PushApiFuzzTests
{
    private const int MaxApiBodyBytes = 256 * 1024; // FuzzServer's limit

    private static readonly int[] Answers = [200, 400, 401, 403, 405, 406, 413, 415, 422, 503];

    [Fact]
    public async Task RandomPushApiRequests_GetADefinedAnswer_AndServerStaysHealthy()
    {
        var run = FuzzRun.FromEnvironment(nameof(PushApiFuzzTests), shortPassCases: 300);
        await using var server = await FuzzServer.StartAsync(run);

        var accepted = 0;
        var resets = 0;
        var figures = await server.RunAsync(async fuzzCase =>
        {
            var generator = new PushApiRequestGenerator(fuzzCase.Random, fuzzCase.BaseAddress.Authority, MaxApiBodyBytes);
            var requests = fuzzCase.Random.Next(1, 5);
            for (var i = 0; i < requests; i++)
            {
                var request = generator.Next();
                var answer = await HttpExchange.RunAsync(fuzzCase.BaseAddress, request.Bytes, request.EndsEarly, fuzzCase.Random, fuzzCase.CancellationToken);
                AssertDefined(request, answer);
                Interlocked.Add(ref resets, answer.WasReset ? 1 : 0);
                Interlocked.Add(ref accepted, answer.Status == 200 ? 1 : 0);
            }

            return requests;
        });

        await server.AssertHealthyAfterRunAsync();
        figures.Report("requests", $"{resets} connections reset by the server, {accepted} accepted");
    }

    private static void AssertDefined(PushApiRequest request, HttpAnswer answer)
    {
        if (answer.Status is not { } status)
        {
            return; // only a request cut short may go unanswered (HttpExchange)
        }

        var what = $"{Describe(request.Bytes)}{Environment.NewLine}was answered {answer.Head.Split("\r\n")[0]}";
        Assert.True(request.IsValidPush ? status is 200 or 503 : Answers.Contains(status), what);
    }

    private static string Describe(byte[] request)
    {
        var text = Encoding.Latin1.GetString(request);
        return $"({request.Length} bytes) " + (text.Length > 600 ? text[..600] + "…" : text);
    }
}
