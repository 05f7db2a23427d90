using Microsoft.Extensions.Logging;
using PushEx.Pipeline;

namespace PushEx.Instrumentation;

/// <summary>
/// Calls every registered <see cref="IPushInstrumentation"/> in registration order, synchronously, as the
/// original does. A hook that throws is logged; the others still run, and so does delivery.
/// </summary>
internal sealed partial class InstrumentationHooks(IEnumerable<IPushInstrumentation> instrumentations, TimeProvider timeProvider, ILogger<InstrumentationHooks> logger)
{
    private readonly IPushInstrumentation[] _instrumentations = [.. instrumentations];

    /// <summary>True when at least one instrumentation is registered (callers skip the work otherwise).</summary>
    public bool IsEnabled => _instrumentations.Length > 0;

    public void ApiRequested()
    {
        var context = Now();
        foreach (var instrumentation in _instrumentations)
        {
            try
            {
                instrumentation.ApiRequested(context);
            }
            catch (Exception ex)
            {
                Log.HookFailed(logger, nameof(IPushInstrumentation.ApiRequested), instrumentation.GetType(), ex);
            }
        }
    }

    public void Requested(Push push)
    {
        var context = Now();
        foreach (var instrumentation in _instrumentations)
        {
            try
            {
                instrumentation.Requested(push, context);
            }
            catch (Exception ex)
            {
                Log.HookFailed(logger, nameof(IPushInstrumentation.Requested), instrumentation.GetType(), ex);
            }
        }
    }

    public void ApiProcessed()
    {
        var context = Now();
        foreach (var instrumentation in _instrumentations)
        {
            try
            {
                instrumentation.ApiProcessed(context);
            }
            catch (Exception ex)
            {
                Log.HookFailed(logger, nameof(IPushInstrumentation.ApiProcessed), instrumentation.GetType(), ex);
            }
        }
    }

    /// <summary>Calls <c>Delivered</c> once per subscriber that was handed the push.</summary>
    public void Delivered(Push push, int subscribers)
    {
        var context = Now();
        for (var i = 0; i < subscribers; i++)
        {
            foreach (var instrumentation in _instrumentations)
            {
                try
                {
                    instrumentation.Delivered(push, context);
                }
                catch (Exception ex)
                {
                    Log.HookFailed(logger, nameof(IPushInstrumentation.Delivered), instrumentation.GetType(), ex);
                }
            }
        }
    }

    private InstrumentationContext Now() => new(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());

    private static partial class Log
    {
        [LoggerMessage(EventId = 1401, Level = LogLevel.Error, EventName = "InstrumentationHookFailed",
            Message = "The instrumentation hook {Hook} of {InstrumentationType} threw; the other hooks and the delivery go on.")]
        public static partial void HookFailed(ILogger logger, string hook, Type instrumentationType, Exception exception);
    }
}
