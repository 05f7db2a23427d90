using System.Diagnostics;
using System.Text.Json;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// Unmodified npm clients in Node (tests/js/roll-client.mjs): half <c>pushex</c>, half <c>phoenix</c>, one process per
/// kind. Each process prints <c>{"progress":"ready"}</c> once all its clients joined, and when its standard input
/// closes prints one JSON line with what every client received; their seqs join the loss count here.
/// </summary>
internal sealed class NpmClientFleet : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private readonly List<Runner> _runners;
    private readonly Dictionary<string, TopicLedger> _topics;
    private readonly Dictionary<string, long> _firstExpected = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];

    private NpmClientFleet(List<Runner> runners, Dictionary<string, TopicLedger> topics)
    {
        _runners = runners;
        _topics = topics;
    }

    /// <summary>True once every process said all its clients joined.</summary>
    public bool Ready => _runners.TrueForAll(runner => runner.Ready);

    public IReadOnlyList<string> Notes => _notes;

    public static NpmClientFleet Start(RollSettings settings, IReadOnlyList<string> users, IReadOnlyList<TopicLedger> userTopics, IReadOnlyList<TopicLedger> shared, TextWriter log)
    {
        var directory = settings.NpmScriptDirectory ?? FindScriptDirectory()
            ?? throw new InvalidOperationException("tests/js/roll-client.mjs not found above the current folder; pass its folder (--npm-dir).");
        var topics = userTopics.Concat(shared).ToDictionary(topic => topic.Topic, StringComparer.Ordinal);
        var pushex = (users.Count + 1) / 2;
        var runners = new List<Runner>();
        foreach (var (kind, group) in new[] { ("pushex", users.Take(pushex).ToList()), ("phoenix", users.Skip(pushex).ToList()) })
        {
            if (group.Count > 0)
            {
                runners.Add(Runner.Start(directory, kind, group, settings, log));
            }
        }

        return new NpmClientFleet(runners, topics);
    }

    /// <summary>Pushing starts now: the npm clients expect every seq accepted from here on.</summary>
    public void ExpectFromNow()
    {
        foreach (var (name, topic) in _topics)
        {
            _firstExpected[name] = topic.NextSeq;
        }

        if (!Ready)
        {
            _notes.Add("the npm clients had not all joined when pushing began");
        }
    }

    /// <summary>Closes the processes' standard input and reads their reports.</summary>
    public async Task<IReadOnlyList<ClientOutcome>> StopAsync()
    {
        var outcomes = new List<ClientOutcome>();
        foreach (var runner in _runners)
        {
            var report = await runner.StopAsync().ConfigureAwait(false);
            if (report is null)
            {
                _notes.Add($"the {runner.Kind} npm clients gave no report ({runner.LastError ?? "no output"}); their clients count as lost");
                outcomes.AddRange(runner.Users.Select(user => Outcome(runner.Kind, user, null)));
                continue;
            }

            var reported = report.RootElement.GetProperty("clients").EnumerateArray().ToDictionary(client => client.GetProperty("user").GetString()!, StringComparer.Ordinal);
            outcomes.AddRange(runner.Users.Select(user => Outcome(runner.Kind, user, reported.TryGetValue(user, out var client) ? client : null)));
            report.Dispose();
        }

        return outcomes;
    }

    private ClientOutcome Outcome(string kind, string user, JsonElement? client)
    {
        var receipts = new List<TopicReceipts>();
        foreach (var name in new[] { $"user:{user}" }.Concat(_topics.Keys.Where(topic => !topic.StartsWith("user:", StringComparison.Ordinal))))
        {
            var topic = new TopicReceipts(_topics[name]);
            topic.ExpectFrom(_firstExpected.GetValueOrDefault(name, 1));
            if (client?.GetProperty("topics").TryGetProperty(name, out var received) == true)
            {
                foreach (var range in received.GetProperty("ranges").EnumerateArray())
                {
                    for (var seq = range[0].GetInt64(); seq <= range[1].GetInt64(); seq++)
                    {
                        topic.Record(seq, -1, null);
                    }
                }

                foreach (var repeat in received.GetProperty("repeats").EnumerateArray())
                {
                    for (var extra = 0; extra < repeat[1].GetInt32(); extra++)
                    {
                        topic.Record(repeat[0].GetInt64(), -1, null);
                    }
                }
            }

            receipts.Add(topic);
        }

        return client is { } c
            ? new ClientOutcome(kind, user, receipts, TimeSpan.FromMilliseconds(c.GetProperty("disconnectedMs").GetDouble()),
                c.GetProperty("connected").GetBoolean(), c.GetProperty("joined").GetBoolean(), c.GetProperty("drops").GetInt32(),
                c.GetProperty("reconnects").GetInt32(), 0, 0)
            : new ClientOutcome(kind, user, receipts, TimeSpan.Zero, false, false, 0, 0, 0, 0);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string? FindScriptDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "js");
                if (File.Exists(Path.Combine(candidate, "roll-client.mjs")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    // One node process running the clients of one kind.
    private sealed class Runner : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task _reading;
        private readonly TaskCompletionSource<string?> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Runner(Process process, string kind, IReadOnlyList<string> users, TextWriter log)
        {
            _process = process;
            Kind = kind;
            Users = users;
            _reading = Task.WhenAll(ReadOutputAsync(), ForwardErrorsAsync(log));
        }

        public string Kind { get; }

        public IReadOnlyList<string> Users { get; }

        public bool Ready { get; private set; }

        public string? LastError { get; private set; }

        public static Runner Start(string directory, string kind, IReadOnlyList<string> users, RollSettings settings, TextWriter log)
        {
            var info = new ProcessStartInfo("node")
            {
                WorkingDirectory = directory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add("roll-client.mjs");
            info.ArgumentList.Add($"--client={kind}");
            info.ArgumentList.Add($"--server={settings.Url}");
            info.ArgumentList.Add($"--users={string.Join(",", users)}");
            info.ArgumentList.Add($"--shared={string.Join(",", settings.SharedTopics)}");
            var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
            return new Runner(process, kind, users, log);
        }

        public async Task<JsonDocument?> StopAsync()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It already exited.
            }

            var report = await _report.Task.WaitAsync(ExitTimeout).ContinueWith(task => task.IsCompletedSuccessfully ? task.Result : null, TaskScheduler.Default).ConfigureAwait(false);
            return report is null ? null : JsonDocument.Parse(report);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            await _reading.ConfigureAwait(false);
            _process.Dispose();
        }

        private async Task ReadOutputAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Contains("\"progress\":\"ready\"", StringComparison.Ordinal))
                {
                    Ready = true;
                }
                else if (line.StartsWith("{\"client\"", StringComparison.Ordinal))
                {
                    _report.TrySetResult(line);
                }
            }

            _report.TrySetResult(null);
        }

        private async Task ForwardErrorsAsync(TextWriter log)
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                LastError = line;
                await log.WriteLineAsync($"roll ({Kind} npm): {line}").ConfigureAwait(false);
            }
        }
    }
}
