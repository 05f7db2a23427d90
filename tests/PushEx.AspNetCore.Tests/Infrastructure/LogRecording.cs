using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushEx.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Adds a <see cref="RecordingLoggerProvider"/> to a test host's logging, recording from Debug up whatever the configuration says.</summary>
internal static class LogRecording
{
    public static Action<IServiceCollection> Into(RecordingLoggerProvider recorder) =>
        services =>
        {
            services.AddSingleton<ILoggerProvider>(recorder);

            // A rule for this provider outranks the configuration's rules for every provider ("Logging:LogLevel").
            services.Configure<LoggerFilterOptions>(options => options.AddFilter<RecordingLoggerProvider>(category: null, LogLevel.Debug));
        };
}
