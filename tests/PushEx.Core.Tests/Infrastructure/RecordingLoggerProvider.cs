using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PushEx.Tests.Infrastructure;

/// <summary>
/// Records the level, category and event of every log entry, so a test can say what a client may make the server log
/// (hostile input must log nothing above Debug). Thread-safe: sockets log from the thread pool. It is a provider for a
/// host's logging, and a logger factory of its own where there is no host.
/// </summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>The entries at <see cref="LogLevel.Warning"/> or above.</summary>
    public IReadOnlyList<LogEntry> WarningsOrAbove => [.. _entries.Where(entry => entry.Level >= LogLevel.Warning)];

    /// <summary>Called with each entry as it is logged, on the logging thread: a test's way to act at that moment.</summary>
    public Action<LogEntry>? Logged { get; set; }

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The recorder is its only provider.");

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new LogEntry(logLevel, category, eventId.Name, exception?.GetType().Name);
            provider._entries.Enqueue(entry);
            provider.Logged?.Invoke(entry);
        }
    }
}

/// <summary>One recorded log entry; its message is left out, since tests assert on what happened, not on wording.</summary>
internal sealed record LogEntry(LogLevel Level, string Category, string? EventName, string? ExceptionType);
