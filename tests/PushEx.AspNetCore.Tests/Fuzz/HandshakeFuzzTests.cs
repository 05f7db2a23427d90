using System.Text;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Issue 15: raw HTTP/1.1 upgrade requests to the socket path (<see cref="HandshakeGenerator"/>), written over TCP.
/// Each request gets a defined answer: 101 for a valid upgrade and only for well-formed upgrade headers, otherwise a
/// client error (never a 5xx), and its connection ends cleanly; across the run the server's properties hold
/// (<see cref="FuzzServer"/>).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class HandshakeFuzzTests
{
    private static readonly int[] Refusals = [400, 403, 404, 405, 413, 414, 426, 429, 431];

    [Fact]
    public async Task RandomUpgradeRequests_GetADefinedAnswer_AndServerStaysHealthy()
    {
        var run = FuzzRun.FromEnvironment(nameof(HandshakeFuzzTests), shortPassCases: 300);
        await using var server = await FuzzServer.StartAsync(run);

        var upgraded = 0;
        var resets = 0;
        var hungUp = 0;
        var figures = await server.RunAsync(async fuzzCase =>
        {
            var generator = new HandshakeGenerator(fuzzCase.Random, fuzzCase.BaseAddress.Authority);
            var requests = fuzzCase.Random.Next(1, 5);
            for (var i = 0; i < requests; i++)
            {
                var request = generator.Next();
                var answer = await HttpExchange.RunAsync(fuzzCase.BaseAddress, request.Bytes, request.EndsEarly, fuzzCase.Random, fuzzCase.CancellationToken);
                AssertDefined(request, answer);
                Interlocked.Add(ref resets, answer.WasReset ? 1 : 0);
                Interlocked.Add(ref upgraded, answer.Status == 101 ? 1 : 0);
                Interlocked.Add(ref hungUp, answer.Status is null ? 1 : 0);
            }

            return requests;
        });

        await server.AssertHealthyAfterRunAsync();
        figures.Report("requests", $"{resets} connections reset by the server, {upgraded} upgraded, {hungUp} cut-short requests the server hung up on without an answer");
    }

    private static void AssertDefined(HandshakeRequest request, HttpAnswer answer)
    {
        var what = $"{Describe(request.Bytes)} was answered {answer.Head.Split("\r\n")[0]}";
        if (answer.Status is not { } status)
        {
            return; // only a request cut short may go unanswered (HttpExchange)
        }

        if (request.IsValidUpgrade)
        {
            Assert.True(status == 101, what);
        }
        else if (status == 101)
        {
            Assert.True(request.HasUpgradeHeaders, what);
        }
        else
        {
            Assert.True(Refusals.Contains(status), what);
        }
    }

    private static string Describe(byte[] request)
    {
        // Each line cut short, so that a huge query or header does not hide the others.
        var lines = Encoding.Latin1.GetString(request).Split("\r\n").Select(line => line.Length > 200 ? $"{line[..200]}… ({line.Length} chars)" : line);
        return $"({request.Length} bytes) " + string.Join(Environment.NewLine, lines);
    }
}
