using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Issue 15: Phoenix frames (V1 objects, V2 arrays, V2 binary) thrown at a real server, a socket at a time: a run of
/// plausible frames, often ending in a hostile one, sometimes split into WebSocket fragments. Each socket must end
/// cleanly after its close with a code a client may see (never 1011); across the run the server's properties hold
/// (<see cref="FuzzServer"/>).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class PhoenixFrameFuzzTests
{
    [Fact]
    public async Task RandomPhoenixFrames_ServerSurvivesAndStaysHealthy()
    {
        var run = FuzzRun.FromEnvironment(nameof(PhoenixFrameFuzzTests), shortPassCases: 400);
        await using var server = await FuzzServer.StartAsync(run);

        var withoutClose = 0;
        var figures = await server.RunAsync(async fuzzCase =>
        {
            var (written, answer) = await RunCaseAsync(fuzzCase);
            Interlocked.Add(ref withoutClose, answer.CloseCode is null ? 1 : 0);
            return written;
        });

        await server.AssertHealthyAfterRunAsync();
        figures.Report("frames", $"{withoutClose} connections ended without a close frame");
    }

    private static async Task<(int Written, ServerFrames Answer)> RunCaseAsync(FuzzCase fuzzCase)
    {
        var random = fuzzCase.Random;
        var isV2 = random.Next(3) != 0;
        var query = (isV2 ? "vsn=2.0.0" : random.Next(2) == 0 ? "vsn=1.0.0" : string.Empty) + (random.Next(4) == 0 ? $"&user={random.Next(20)}" : string.Empty);
        var generator = new PhoenixFrameGenerator(random, isV2);
        var messages = Enumerable.Range(0, random.Next(1, 60)).Select(_ => generator.Plausible()).ToList();
        if (random.Next(3) != 0)
        {
            messages.Add(generator.Hostile());
        }

        var frames = messages.SelectMany(message => Encode(message, random)).ToList();
        var (written, answer, wasReset) = await WebSocketSession.RunAsync(fuzzCase.BaseAddress, query, random, frames, fuzzCase.CancellationToken);
        // A connection the server ended without a close frame is counted, not failed, only when the connection was
        // reset: after the WebSocket's own close (1002, 1007) a reset from the server's side still drops the close the
        // client's kernel had received now and then, a cause not found yet (docs/fuzzing.md). A clean end without a
        // close fails.
        Assert.True(answer.CloseCode is not null || wasReset, $"The server ended the connection cleanly without a close frame, after {written} of {frames.Count} frames and {answer.Frames} frames of its own; the last message: {Describe(messages[^1])}");
        return (written, answer);
    }

    private static string Describe(PhoenixFrame message) =>
        (message.IsBinary ? "binary " : "text ") + (message.Bytes.Length > 200 ? $"{message.Bytes.Length} bytes" : Convert.ToHexString(message.Bytes));

    // Usually one frame; sometimes the message split into fragments, as a client may legally send it.
    private static IEnumerable<byte[]> Encode(PhoenixFrame message, Random random)
    {
        var opcode = message.IsBinary ? ClientFrames.Binary : ClientFrames.Text;
        if (random.Next(8) != 0 || message.Bytes.Length < 2)
        {
            return [ClientFrames.Frame(random, opcode, message.Bytes)];
        }

        var cut = random.Next(1, message.Bytes.Length);
        return
        [
            ClientFrames.Frame(random, opcode, message.Bytes.AsSpan(0, cut), fin: false),
            ClientFrames.Frame(random, ClientFrames.Continuation, message.Bytes.AsSpan(cut)),
        ];
    }
}
