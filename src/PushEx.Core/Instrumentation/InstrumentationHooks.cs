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

    public void ApiRequested() =>
        Run(nameof(IPushInstrumentation.ApiRequested), static (instrumentation, _, context) => instrumentation.ApiRequested(context), push: null);

    public void Requested(Push push) =>
        Run(nameof(IPushInstrumentation.Requested), static (instrumentation, push, context) => instrumentation.Requested(push!, context), push);

    public void ApiProcessed() =>
        Run(nameof(IPushInstrumentation.ApiProcessed), static (instrumentation, _, context) => instrumentation.ApiProcessed(context), push: null);

    /// <summary>Calls <c>Delivered</c> once per subscriber that was handed the push.</summary>
    public void Delivered(Push push, int subscribers)
    {
        for (var i = 0; i < subscribers; i++)
        {
            Run(nameof(IPushInstrumentation.Delivered), static (instrumentation, push, context) => instrumentation.Delivered(push!, context), push);
        }
    }

    public void Recovered(Push push) =>
        Run(nameof(IPushInstrumentation.Recovered), static (instrumentation, push, context) => instrumentation.Recovered(push!, context), push);

    private void Run(string hook, Action<IPushInstrumentation, Push?, InstrumentationContext> call, Push? push)
    {
        var context = new InstrumentationContext(timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var instrumentation in _instrumentations)
        {
            try
            {
                call(instrumentation, push, context);
            }
            catch (Exception ex)
            {
                Log.HookFailed(logger, hook, instrumentation.GetType(), ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1401, Level = LogLevel.Error, EventName = "InstrumentationHookFailed",
            Message = "The instrumentation hook {Hook} of {InstrumentationType} threw; the other hooks and the delivery go on.")]
        public static partial void HookFailed(ILogger logger, string hook, Type instrumentationType, Exception exception);
    }
}
