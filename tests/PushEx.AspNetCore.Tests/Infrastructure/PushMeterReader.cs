using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Adds up one counter of the <c>PushEx</c> meter of one server (the meter its <see cref="IMeterFactory"/> made),
/// so tests running side by side do not count each other's pushes.
/// </summary>
public sealed class PushMeterReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    /// <summary>Reads <paramref name="instrumentName"/>; given <paramref name="tag"/>, only the measurements carrying that tag value.</summary>
    public PushMeterReader(IServiceProvider services, string instrumentName, (string Key, string Value)? tag = null)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "PushEx" && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            if (tag is not { } wanted || HasTag(tags, wanted))
            {
                Interlocked.Add(ref _total, measurement);
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of the measurements since this reader started.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();

    private static bool HasTag(ReadOnlySpan<KeyValuePair<string, object?>> tags, (string Key, string Value) wanted)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == wanted.Key && Equals(tag.Value, wanted.Value))
            {
                return true;
            }
        }

        return false;
    }
}
