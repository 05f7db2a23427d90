using System.Diagnostics;
using System.Text.Json;

namespace PushEx.LoadTest.Workers;

/// <summary>The coordinator's handle on one worker: this same program started with the <c>worker</c> command.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly SemaphoreSlim _exchange = new(1, 1);

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static WorkerProcess Start()
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The load test cannot find its own executable.");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };

        // Run through `dotnet PushEx.LoadTest.dll`: the host is dotnet, so the assembly comes first. Driven from another
        // program (a test), this process is not the load generator: its assembly is started through dotnet.
        var loadTest = typeof(WorkerProcess).Assembly;
        if (System.Reflection.Assembly.GetEntryAssembly() != loadTest)
        {
            start.FileName = "dotnet";
            start.ArgumentList.Add(loadTest.Location);
        }
        else if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(loadTest.Location);
        }

        start.ArgumentList.Add("worker");
        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start.");
        return new WorkerProcess(process);
    }

    /// <summary>Sends one command and waits for its report.</summary>
    public async Task<WorkerReport> SendAsync(WorkerCommand command, TimeSpan timeout)
    {
        await _exchange.WaitAsync().ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command, WorkerJson.Default.WorkerCommand)).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            using var cancel = new CancellationTokenSource(timeout);
            var line = await _process.StandardOutput.ReadLineAsync(cancel.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Worker {Id} exited.");
            var report = JsonSerializer.Deserialize(line, WorkerJson.Default.WorkerReport)
                ?? throw new InvalidOperationException($"Worker {Id} sent an empty report.");
            return report.Ok ? report : throw new InvalidOperationException($"Worker {Id} failed: {report.Error}");
        }
        finally
        {
            _exchange.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SendAsync(new WorkerCommand { Command = "close" }, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
            _exchange.Dispose();
        }
    }
}
