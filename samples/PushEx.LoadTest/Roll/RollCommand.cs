using System.Runtime.InteropServices;
using PushEx.LoadTest.Cli;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// <c>roll</c> on the command line. It pushes until told to stop: after <c>--seconds N</c>, when the file named by
/// <c>--stop-file</c> appears, or on SIGINT / SIGTERM (the first of these); then it settles, prints the result and
/// writes <c>--json</c>. A second SIGINT/SIGTERM during the settle is ignored; the settle is bounded anyway.
/// </summary>
internal static class RollCommand
{
    public static async Task<int> RunAsync(CommandLine line, TextWriter output, TextWriter log)
    {
        var settings = new RollSettings
        {
            Url = new Uri(line.String("url", "http://127.0.0.1:4000")),
            Clients = line.Int("clients", 1_000),
            UserPrefix = line.String("users", "roll-"),
            SharedTopics = line.Strings("shared", ["room:shared"]),
            Rate = line.Double("rate", 200),
            SharedRate = line.Double("shared-rate", 5),
            PadBytes = line.Int("pad", 16),
            Authorization = "Bearer " + line.String("api-key", "dev-api-key"),
            HaproxySocket = line.OptionalString("haproxy-socket"),
            ConnectConcurrency = line.Int("concurrency", 100),
            FirstReconnectDelay = line.Seconds("first-reconnect", 1),
            Settle = line.Seconds("settle", 10),
            MaxDuration = line.Seconds("max-seconds", 900),
            NpmClients = line.Int("npm-clients", 0),
            NpmScriptDirectory = line.OptionalString("npm-dir"),
        };
        var seconds = line.OptionalString("seconds") is null ? (TimeSpan?)null : line.Seconds("seconds", 0);
        var stopFile = line.OptionalString("stop-file");
        var json = line.OptionalString("json");
        line.EnsureAllRead();

        using var stop = new CancellationTokenSource();
        if (seconds is { } duration)
        {
            stop.CancelAfter(duration);
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var watching = stopFile is null ? Task.CompletedTask : WatchStopFileAsync(stopFile, stop);

        var result = await RollScenario.RunAsync(settings, log, stop.Token).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await watching.ConfigureAwait(false);

        result.Print(output);
        var text = result.ToJsonString();
        await output.WriteLineAsync(text).ConfigureAwait(false);
        if (json is not null)
        {
            await File.WriteAllTextAsync(json, text + Environment.NewLine).ConfigureAwait(false);
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            // Keep the process: the run settles and reports before it exits.
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task WatchStopFileAsync(string path, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (File.Exists(path))
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }

            try
            {
                await Task.Delay(200, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
