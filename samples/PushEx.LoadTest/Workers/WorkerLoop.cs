using System.Text.Json;
using System.Threading.Channels;
using PushEx.LoadTest.Load;

namespace PushEx.LoadTest.Workers;

/// <summary>
/// The <c>worker</c> command: a child process that holds up to ~15 000 client sockets (a process may open at most
/// 20 000 files here) and obeys JSON commands on standard input, answering each with one JSON line on standard output.
/// It ends on <c>close</c> or when its input closes (the coordinator died).
/// </summary>
internal static class WorkerLoop
{
    public static async Task<int> RunAsync()
    {
        // One core is all a worker gets: without spare threads, any blocked pool thread would stall every client
        // for the half second the pool takes to add one.
        ThreadPool.SetMinThreads(8, 8);

        await using var clients = new ClientSet();
        var commands = ReadCommandsOnOwnThread();
        var output = Console.Out;
        while (await commands.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!commands.TryRead(out var line))
            {
                continue;
            }

            WorkerReport report;
            var stop = false;
            try
            {
                var command = JsonSerializer.Deserialize(line, WorkerJson.Default.WorkerCommand)
                    ?? throw new InvalidOperationException("Empty command.");
                switch (command.Command)
                {
                    case "connect":
                        report = await clients.ConnectAsync(command).ConfigureAwait(false);
                        break;
                    case "storm":
                        report = await clients.StormAsync(command).ConfigureAwait(false);
                        break;
                    case "churn":
                        clients.Churn(command);
                        report = clients.Report();
                        break;
                    case "side":
                        clients.ToggleSideTopics(command);
                        report = clients.Report();
                        break;
                    case "reset":
                        clients.Stats.ResetPushes(command.AtUnixMs * 1000);
                        report = clients.Report();
                        break;
                    case "stats":
                        report = clients.Report();
                        break;
                    case "close":
                        clients.CloseAll();
                        report = clients.Report();
                        stop = true;
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown command '{command.Command}'.");
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                report = new WorkerReport { Ok = false, Error = ex.ToString() };
            }

            await output.WriteLineAsync(JsonSerializer.Serialize(report, WorkerJson.Default.WorkerReport)).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
            if (stop)
            {
                break;
            }
        }

        return 0;
    }

    // Console input has no truly asynchronous read: its ReadAsync blocks a pool thread. A dedicated thread reads instead.
    private static ChannelReader<string> ReadCommandsOnOwnThread()
    {
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reader = new Thread(() =>
        {
            using var input = new StreamReader(Console.OpenStandardInput());
            while (input.ReadLine() is { } line)
            {
                lines.Writer.TryWrite(line);
            }

            lines.Writer.TryComplete();
        })
        {
            IsBackground = true,
            Name = "worker commands",
        };
        reader.Start();
        return lines.Reader;
    }
}
