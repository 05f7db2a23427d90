using PushEx.History;
using PushEx.Pipeline;

namespace PushEx.Tests.History;

/// <summary>Appends to different topics at once, with reads in between, as the pipeline's workers and joins do.</summary>
public sealed partial class InMemoryHistoryTests
{
    [Fact]
    public async Task Append_ConcurrentTopicsWithReads_EveryTopicStaysGaplessAndEveryReadConsistent()
    {
        const int Appenders = 4;
        const int TopicsPerAppender = 3;
        const int PushesPerTopic = 2_000;
        // Less than the topics could keep (12 x 100), so the total bound drops pushes while others are read.
        var history = CreateHistory(options => options.MaxTotalPushes = 600);
        var topics = Enumerable.Range(0, Appenders * TopicsPerAppender).Select(i => $"t{i}").ToArray();
        var appended = topics.ToDictionary(topic => topic, _ => new List<Push>(PushesPerTopic));
        using var appendersDone = new CancellationTokenSource();

        var appenders = Enumerable.Range(0, Appenders).Select(a => Task.Run(() =>
        {
            var own = topics.Skip(a * TopicsPerAppender).Take(TopicsPerAppender).ToArray();
            for (var i = 1; i <= PushesPerTopic; i++)
            {
                foreach (var topic in own)
                {
                    appended[topic].Add(Append(history, topic, i));
                }
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var complete = 0;
            var reads = 0;
            // Once the appenders are done a read is always complete; until one is, the reader goes on (it may have
            // been scheduled too rarely to see one while they ran).
            while (!appendersDone.IsCancellationRequested || complete == 0)
            {
                var topic = topics[reads++ % topics.Length];
                var top = history.Read(topic, long.MaxValue).Top;
                var after = Math.Max(0, (top?.Offset ?? 0) - 20);
                var read = history.Read(topic, after);
                if (read.IsComplete)
                {
                    complete++;
                    AssertConsecutive(read, after);
                }
            }

            return complete;
        })).ToArray();

        await Task.WhenAll(appenders).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await appendersDone.CancelAsync();
        var completeReads = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.All(completeReads, count => Assert.True(count > 0, "no read was complete"));
        foreach (var topic in topics)
        {
            var positions = appended[topic].Select(push => push.Position!.Value).ToList();
            Assert.Equal(Enumerable.Range(1, PushesPerTopic).Select(i => (long)i), positions.Select(position => position.Offset));
            Assert.Single(positions.Select(position => position.Epoch).Distinct());
            Assert.Equal(positions[^1], history.Read(topic, 0).Top);
        }

        Assert.Equal(600, history.KeptCount);
    }

    private static void AssertConsecutive(HistoryRead read, long after)
    {
        var top = read.Top!.Value;
        Assert.Equal(top.Offset - after, read.Pushes.Count);
        for (var i = 0; i < read.Pushes.Count; i++)
        {
            Assert.Equal(new StreamPosition(top.Epoch, after + 1 + i), read.Pushes[i].Position);
        }
    }
}
