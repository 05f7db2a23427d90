using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Tests.Fuzz;

/// <summary>
/// Records every log entry at Error or above with its message, exception and the fuzz cases in flight when it was
/// written, so a failure names the cases to replay. (The fuzz server's app code never throws, so any such entry was
/// caused by a client.)
/// </summary>
internal sealed class ErrorLogWatch : ILoggerProvider
{
    private readonly ConcurrentDictionary<int, byte> _inFlight = new();
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyList<string> Errors => [.. _errors];

    public bool Any => !_errors.IsEmpty;

    /// <summary>Marks a case as running until the result is disposed.</summary>
    public IDisposable Track(int caseIndex)
    {
        _inFlight[caseIndex] = 0;
        return new InFlight(this, caseIndex);
    }

    public ILogger CreateLogger(string categoryName) => new Watcher(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class InFlight(ErrorLogWatch watch, int caseIndex) : IDisposable
    {
        public void Dispose() => watch._inFlight.TryRemove(caseIndex, out _);
    }

    private sealed class Watcher(ErrorLogWatch watch, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Error and not LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var cases = string.Join(", ", watch._inFlight.Keys.Order());
            watch._errors.Enqueue($"{logLevel} {category} {eventId.Name}: {formatter(state, exception)} (cases in flight: {cases}){Environment.NewLine}{exception}");
        }
    }
}
