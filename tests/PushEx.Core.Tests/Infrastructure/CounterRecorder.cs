using System.Diagnostics.Metrics;

namespace PushEx.Tests.Infrastructure;

/// <summary>
/// Adds up what one counter of a meter records from the moment it is made; with <c>tag</c>, only the measurements
/// carrying that tag and value.
/// </summary>
internal sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterRecorder(Meter meter, string name, KeyValuePair<string, object?>? tag = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == meter && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (tag is not { } wanted || tags.ToArray().Contains(wanted))
            {
                Interlocked.Add(ref _total, value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
