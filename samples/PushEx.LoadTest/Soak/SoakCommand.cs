using PushEx.LoadTest.Cli;
using PushEx.LoadTest.Compare;
using PushEx.LoadTest.Scenarios;

namespace PushEx.LoadTest.Soak;

/// <summary>
/// <c>soak</c>: against <c>--url</c>, or a PushEx bench server it starts (and stops) itself; one line per interval,
/// then the summary and the JSON. Ends early on SIGINT/SIGTERM with the samples taken so far.
/// </summary>
internal static class SoakCommand
{
    public static async Task<int> RunAsync(CommandLine line, TextWriter output, TextWriter log)
    {
        var settings = SoakSettings.From(line);
        using var stop = new CancellationTokenSource();
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);

        var result = await RunAsync(settings, output, log, stop.Token).ConfigureAwait(false);
        result.PrintSummary(output);
        var json = result.ToJsonString();
        output.WriteLine(json);
        if (settings.JsonPath is not null)
        {
            await File.WriteAllTextAsync(settings.JsonPath, json + Environment.NewLine).ConfigureAwait(false);
        }

        return 0;

        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    public static async Task<SoakResult> RunAsync(SoakSettings settings, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        ServerProcess? server = null;
        try
        {
            var url = settings.Url;
            if (url is null)
            {
                Directory.CreateDirectory(settings.LogDirectory);
                var logPath = Path.Combine(settings.LogDirectory, "soak-server.log");
                server = await ServerProcess.StartAsync(settings.ServerDll, settings.ServerCore, logPath).ConfigureAwait(false);
                log.WriteLine($"soak: started {Path.GetFileName(settings.ServerDll)} at {server.Url} (log {logPath})");
                url = server.Url;
            }

            using var target = new BenchTarget([url], settings.Protocol);
            return await SoakScenario.RunAsync(target, settings, output, log, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
