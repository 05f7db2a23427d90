using System.Diagnostics;
using System.Globalization;

namespace PushEx.LoadTest.Compare;

/// <summary>Another process's CPU time and resident memory, read from /proc (Linux).</summary>
internal static class ProcessStats
{
    private static readonly Lazy<int> ClockTicksPerSecond = new(ReadClockTicks);

    /// <summary>utime + stime of the whole process (every thread), in milliseconds; resolution one clock tick (usually 10 ms).</summary>
    public static double CpuMilliseconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name may contain spaces; the fields after it are fixed: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000.0 / ClockTicksPerSecond.Value;
    }

    /// <summary>VmRSS, in bytes.</summary>
    public static long ResidentBytes(int pid) => StatusField(pid, "VmRSS:") * 1024;

    /// <summary>The process's threads, as the kernel counts them.</summary>
    public static int Threads(int pid) => (int)StatusField(pid, "Threads:");

    /// <summary>Open file descriptors (sockets included): the entries of /proc/PID/fd.</summary>
    public static int OpenFiles(int pid) => Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();

    // The number after "Name:" in /proc/PID/status (VmRSS in kB, Threads as is).
    private static long StatusField(int pid, string name)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"No {name} in /proc/{pid}/status.");
    }

    private static int ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (getconf is not null && int.TryParse(getconf.StandardOutput.ReadToEnd().Trim(), CultureInfo.InvariantCulture, out var ticks) && ticks > 0)
            {
                getconf.WaitForExit();
                return ticks;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No getconf: Linux's USER_HZ is 100 everywhere that matters.
        }

        return 100;
    }
}
