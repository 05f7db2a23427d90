namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Issue 15: raw WebSocket framing (<see cref="WebSocketFramingGenerator"/>) written over TCP after an upgrade done
/// by hand, against ASP.NET Core's WebSocket under PushEx's transport. The server must end each connection by itself,
/// with well-formed frames and a close code a client may see (never 1011); across the run the server's properties
/// hold (<see cref="FuzzServer"/>).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class WebSocketFramingFuzzTests
{
    private const int MaxFrameBytes = 16 * 1024; // FuzzServer's limit

    [Fact]
    public async Task RandomWebSocketFraming_ServerSurvivesAndStaysHealthy()
    {
        var run = FuzzRun.FromEnvironment(nameof(WebSocketFramingFuzzTests), shortPassCases: 500);
        await using var server = await FuzzServer.StartAsync(run);

        var figures = await server.RunAsync(async fuzzCase =>
        {
            var (frames, endsMidFrame) = new WebSocketFramingGenerator(fuzzCase.Random, MaxFrameBytes).Next();
            var (written, _, _) = await WebSocketSession.RunAsync(fuzzCase.BaseAddress, "vsn=2.0.0", fuzzCase.Random, frames, fuzzCase.CancellationToken, endsMidFrame);
            return written;
        });

        await server.AssertHealthyAfterRunAsync();
        figures.Report("frames");
    }
}
