using System.Diagnostics.Metrics;

namespace PushEx.Benchmarks.Infrastructure;

/// <summary>Creates the PushEx meter without a host; nobody listens, as in a server without a metrics exporter.</summary>
internal sealed class BenchMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
