using PushEx.Pipeline;

namespace PushEx.Instrumentation;

/// <summary>
/// The original's PushInstrumentation behaviour: hooks called synchronously, in registration order, as pushes
/// travel. Every member does nothing unless implemented. Keep them fast: they run on the delivery path. An
/// exception is logged and stops neither delivery nor the other instrumentations.
/// </summary>
public interface IPushInstrumentation
{
    /// <summary>First thing in every <c>POST /api/push</c>, before authorization.</summary>
    void ApiRequested(InstrumentationContext context)
    {
    }

    /// <summary>Once per accepted push (per unique channel of an API call, or per in-process publish), before it is queued.</summary>
    void Requested(Push push, InstrumentationContext context)
    {
    }

    /// <summary>After every push of a successful API call was queued.</summary>
    void ApiProcessed(InstrumentationContext context)
    {
    }

    /// <summary>Once per subscriber on this node that was handed the push.</summary>
    void Delivered(Push push, InstrumentationContext context)
    {
    }

    /// <summary>
    /// Once per push sent from the topic's history to a rejoining subscriber on this node (a push it missed while
    /// reconnecting); such a delivery is not also reported as <see cref="Delivered"/>.
    /// </summary>
    void Recovered(Push push, InstrumentationContext context)
    {
    }
}
