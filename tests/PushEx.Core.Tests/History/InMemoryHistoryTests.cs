using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PushEx.History;
using PushEx.Pipeline;

namespace PushEx.Tests.History;

public sealed partial class InMemoryHistoryTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Append_ManyToOneTopic_OffsetsGrowByOneUnderOneEpoch()
    {
        var history = CreateHistory();

        var positions = Enumerable.Range(1, 5).Select(i => Append(history, "t", i).Position).ToList();

        Assert.All(positions, position => Assert.NotNull(position));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], positions.Select(position => position!.Value.Offset));
        Assert.Single(positions.Select(position => position!.Value.Epoch).Distinct());
        Assert.Matches("^[A-Za-z0-9_-]{12}$", positions[0]!.Value.Epoch);
    }

    [Fact]
    public void Append_TwoTopics_EachCountsFromOneUnderItsOwnEpoch()
    {
        var history = CreateHistory();

        var a1 = Append(history, "a", 1).Position!.Value;
        var b1 = Append(history, "b", 1).Position!.Value;
        var a2 = Append(history, "a", 2).Position!.Value;

        Assert.Equal((1L, 1L, 2L), (a1.Offset, b1.Offset, a2.Offset));
        Assert.NotEqual(a1.Epoch, b1.Epoch);
    }

    [Fact]
    public void Append_TopicWithHistory_MsgPayloadCarriesThePosition()
    {
        var history = CreateHistory();

        var push = Append(history, "t", 7);

        Assert.Equal($$"""{"data":7,"event":"e","offset":1,"epoch":"{{push.Position!.Value.Epoch}}"}""", Encoding.UTF8.GetString(push.MsgPayload.Span));
    }

    [Fact]
    public void Append_HistoryDisabled_LeavesNoPositionAndReadFindsNone()
    {
        var history = CreateHistory(options => options.Enabled = false);

        var push = Append(history, "t", 1);

        Assert.Null(push.Position);
        Assert.Equal("""{"data":1,"event":"e"}""", Encoding.UTF8.GetString(push.MsgPayload.Span));
        Assert.Same(HistoryRead.None, history.Read("t", 0));
        Assert.Equal(0, history.PositionCount);
    }

    [Fact]
    public void Append_RuleWithZeroPushes_LeavesNoPositionForItsTopicsOnly()
    {
        var history = CreateHistory(options => options.Rules.Add(new TopicHistoryRule { Prefix = "presence:", MaxPushes = 0 }));

        var off = Append(history, "presence:1", 1);
        var on = Append(history, "user:1", 1);

        Assert.Null(off.Position);
        Assert.Null(history.Read("presence:1", 0).Top);
        Assert.Equal(1, on.Position!.Value.Offset);
    }

    [Fact]
    public void Read_AfterAnOffset_ReturnsExactlyTheLaterPushesInOrder()
    {
        var history = CreateHistory();
        var pushes = Enumerable.Range(1, 5).Select(i => Append(history, "t", i)).ToList();

        var read = history.Read("t", 2);

        Assert.True(read.IsComplete);
        Assert.Equal(pushes[4].Position, read.Top);
        AssertSamePushes(pushes[2..], read.Pushes);
    }

    [Fact]
    public void Read_AfterZero_ReturnsEveryPush()
    {
        var history = CreateHistory();
        var pushes = Enumerable.Range(1, 3).Select(i => Append(history, "t", i)).ToList();

        var read = history.Read("t", 0);

        Assert.True(read.IsComplete);
        AssertSamePushes(pushes, read.Pushes);
    }

    [Fact]
    public void Read_AtTheTop_IsCompleteAndEmpty()
    {
        var history = CreateHistory();
        Append(history, "t", 1);
        var last = Append(history, "t", 2);

        var read = history.Read("t", 2);

        Assert.True(read.IsComplete);
        Assert.Empty(read.Pushes);
        Assert.Equal(last.Position, read.Top);
    }

    [Theory]
    [InlineData(3L)]
    [InlineData(long.MaxValue)]
    public void Read_PastTheTop_GivesOnlyThePosition_Incomplete(long afterOffset)
    {
        var history = CreateHistory();
        Append(history, "t", 1);
        var last = Append(history, "t", 2);

        var read = history.Read("t", afterOffset);

        Assert.False(read.IsComplete);
        Assert.Empty(read.Pushes);
        Assert.Equal(last.Position, read.Top);
    }

    [Fact]
    public void Read_NegativeOffset_IsIncomplete()
    {
        var history = CreateHistory();
        Append(history, "t", 1);

        var read = history.Read("t", -1);

        Assert.False(read.IsComplete);
        Assert.Empty(read.Pushes);
    }

    [Fact]
    public void Read_TopicNeverPushed_FindsNone()
    {
        var history = CreateHistory();
        Append(history, "other", 1);

        Assert.Same(HistoryRead.None, history.Read("t", 0));
    }

    [Fact]
    public void NewInstance_SameTopic_StartsANewEpoch()
    {
        var before = Append(CreateHistory(), "t", 1).Position!.Value;

        var after = Append(CreateHistory(), "t", 1).Position!.Value;

        Assert.Equal(1, after.Offset);
        Assert.NotEqual(before.Epoch, after.Epoch);
    }

    private InMemoryHistory CreateHistory(Action<HistoryOptions>? configure = null)
    {
        var options = new PushExOptions();
        configure?.Invoke(options.History);
        return new InMemoryHistory(new HistoryPolicy(Options.Create(options)), _time);
    }

    // A read builds the pushes again from what was kept: equal in every field and byte, not the same objects.
    private static void AssertSamePushes(IEnumerable<Push> expected, IReadOnlyList<Push> actual) =>
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));

    private static string Describe(Push push) =>
        $"{push.Channel} {push.Event} {Encoding.UTF8.GetString(push.Data.Span)} {push.UnixMsAcceptedAt} {push.Position} {Encoding.UTF8.GetString(push.MsgPayload.Span)}";

    private static Push Append(InMemoryHistory history, string topic, int data)
    {
        var push = new Push(topic, "e", Encoding.UTF8.GetBytes(data.ToString(System.Globalization.CultureInfo.InvariantCulture)), 1_700_000_000_000 + data);
        history.Append(push);
        return push;
    }
}
