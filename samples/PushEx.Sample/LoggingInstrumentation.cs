using PushEx.Instrumentation;
using PushEx.Pipeline;

namespace PushEx.Sample;

/// <summary>Logs every instrumentation hook at Debug: the original's instrumentation example.</summary>
public sealed partial class LoggingInstrumentation(ILogger<LoggingInstrumentation> logger) : IPushInstrumentation
{
    public void ApiRequested(InstrumentationContext context) => LogApiRequested(context.UnixMsOccurredAt);

    public void Requested(Push push, InstrumentationContext context) => LogRequested(push.Channel, push.Event, context.UnixMsOccurredAt);

    public void ApiProcessed(InstrumentationContext context) => LogApiProcessed(context.UnixMsOccurredAt);

    public void Delivered(Push push, InstrumentationContext context) => LogDelivered(push.Channel, push.Event, context.UnixMsOccurredAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "api_requested at={At}")]
    private partial void LogApiRequested(long at);

    [LoggerMessage(Level = LogLevel.Debug, Message = "requested channel={Channel} event={Event} at={At}")]
    private partial void LogRequested(string channel, string @event, long at);

    [LoggerMessage(Level = LogLevel.Debug, Message = "api_processed at={At}")]
    private partial void LogApiProcessed(long at);

    [LoggerMessage(Level = LogLevel.Debug, Message = "delivered channel={Channel} event={Event} at={At}")]
    private partial void LogDelivered(string channel, string @event, long at);
}
