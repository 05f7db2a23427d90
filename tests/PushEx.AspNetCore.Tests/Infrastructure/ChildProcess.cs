using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A process the test starts (node, dotnet), with its output captured and every wait bounded: a child that hangs
/// fails the test with its output instead of hanging the run, and disposing kills the child's whole tree.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int OutputTailChars = 12_000;

    // Readers get this long after the child exits to deliver its last lines; a grandchild that inherited the
    // pipes (an MSBuild node, a server the child started) must not keep the test waiting for the end of output.
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _standardOutput = new();
    private readonly List<string> _lines = [];
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];

    private ChildProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    /// <summary>The command as a person would type it, for failure messages.</summary>
    public string CommandLine { get; }

    /// <summary>Standard output and standard error as received so far, interleaved; error lines start with <c>[stderr]</c>.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Standard output alone, as received so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _standardOutput.ToString();
            }
        }
    }

    /// <summary>The last part of <see cref="Output"/>, short enough for an assertion message.</summary>
    public string OutputTail
    {
        get
        {
            var output = Output;
            return output.Length <= OutputTailChars ? output : "…" + output[^OutputTailChars..];
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> (a path, or a name looked up on PATH). The child gets this process's
    /// environment without the MSBuild variables that <c>dotnet test</c> leaves behind, with the .NET CLI's telemetry,
    /// banner and build-node reuse off, plus <paramref name="environment"/>.
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The SDK that runs `dotnet test` exports its own MSBuild paths; a child dotnet must pick its SDK afresh.
        foreach (var key in info.Environment.Keys.Where(key => key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1";
        // Build nodes left running would hold the output pipes open and outlive the test.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, string.Join(' ', new[] { fileName }.Concat(info.ArgumentList.Select(Quote))));
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, isError: true);
        process.Exited += (_, _) => child.OnExited();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start `{child.CommandLine}` in {workingDirectory}: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to its end and fails the test, showing its output, unless it exits with 0 in time.</summary>
    /// <returns>The command's output.</returns>
    public static async Task<string> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        await using var child = Start(fileName, arguments, workingDirectory, environment);
        var exitCode = await child.WaitForExitAsync(timeout, cancellationToken);
        Assert.True(exitCode == 0, $"`{child.CommandLine}` (in {workingDirectory}) exited with {exitCode}. Output:\n{child.OutputTail}");
        return child.Output;
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null when it is not there.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Waits for the child to exit; on timeout or cancellation kills it and fails with its output.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"`{CommandLine}` did not exit within {timeout.TotalSeconds:0} s and was killed. Output:\n{OutputTail}");
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(OutputDrainTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The child has exited; only a grandchild still holds the pipes. What was read so far is all we show.
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until a line of output matches <paramref name="pattern"/>; fails if the child exits first or time runs out.</summary>
    public async Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var line in _lines)
            {
                if (pattern.Match(line) is { Success: true } match)
                {
                    return match;
                }
            }

            _waiters.Add((pattern, found));
        }

        try
        {
            await Task.WhenAny(found.Task, _exited.Task).WaitAsync(timeout, cancellationToken);
            // The child may have exited right after printing the line; give the reader a moment to deliver it.
            return await found.Task.WaitAsync(found.Task.IsCompleted ? TimeSpan.Zero : TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (TimeoutException)
        {
            var state = _exited.Task.IsCompleted ? $"exited with {_process.ExitCode} before printing a line" : $"printed no line within {timeout.TotalSeconds:0} s";
            throw new TimeoutException($"`{CommandLine}` {state} that matches /{pattern}/. Output:\n{OutputTail}");
        }
        finally
        {
            lock (_gate)
            {
                _waiters.RemoveAll(waiter => waiter.Found == found);
            }
        }
    }

    /// <summary>Kills the child and everything it started.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // Nothing more can be done; disposing must not fail the test.
        }

        _process.Dispose();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(char.IsWhiteSpace) && !argument.Contains('"', StringComparison.Ordinal)
            ? argument
            : "\"" + argument.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
            _output.Append(isError ? "[stderr] " : string.Empty).Append(line).Append('\n');
            if (!isError)
            {
                _standardOutput.Append(line).Append('\n');
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Pattern.Match(line) is { Success: true } match)
                {
                    _waiters[i].Found.TrySetResult(match);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private void OnExited() => _exited.TrySetResult();
}
