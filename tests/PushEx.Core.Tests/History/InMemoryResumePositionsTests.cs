using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PushEx.History;

namespace PushEx.Tests.History;

public sealed class InMemoryResumePositionsTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Find_AfterSave_ReturnsEachTopicsPosition()
    {
        var positions = CreatePositions();

        positions.Save("user_socket:1", [Position("a", "E1", 3), Position("b", "E2", 9)]);

        Assert.Equal(new StreamPosition("E1", 3), positions.Find("user_socket:1", "a"));
        Assert.Equal(new StreamPosition("E2", 9), positions.Find("user_socket:1", "b"));
    }

    [Fact]
    public void Find_OtherSocketIdOrTopic_ReturnsNull()
    {
        var positions = CreatePositions();

        positions.Save("user_socket:1", [Position("a", "E", 3)]);

        Assert.Null(positions.Find("user_socket:2", "a"));
        Assert.Null(positions.Find("user_socket:1", "b"));
    }

    [Fact]
    public void Save_SameSocketIdAndTopicAgain_ReplacesThePositionAndKeepsTheOthers()
    {
        var positions = CreatePositions();
        positions.Save("user_socket:1", [Position("a", "E", 3), Position("b", "E", 4)]);

        positions.Save("user_socket:1", [Position("a", "E", 7)]);

        Assert.Equal(new StreamPosition("E", 7), positions.Find("user_socket:1", "a"));
        Assert.Equal(new StreamPosition("E", 4), positions.Find("user_socket:1", "b"));
        Assert.Equal(2, positions.Count);
    }

    [Fact]
    public void Find_WindowAfterTheSave_ReturnsNull()
    {
        var positions = CreatePositions();
        positions.Save("user_socket:1", [Position("a", "E", 3)]);

        _time.Advance(Window - TimeSpan.FromTicks(1));
        Assert.NotNull(positions.Find("user_socket:1", "a"));
        _time.Advance(TimeSpan.FromTicks(1));

        Assert.Null(positions.Find("user_socket:1", "a"));
        Assert.Equal(0, positions.Count);
    }

    [Fact]
    public void Find_ReplacedPosition_LivesAWindowFromItsLatestSave()
    {
        var positions = CreatePositions();
        positions.Save("user_socket:1", [Position("a", "E", 3)]);
        _time.Advance(TimeSpan.FromMinutes(1));
        positions.Save("user_socket:1", [Position("a", "E", 5)]);

        _time.Advance(Window - TimeSpan.FromTicks(1));
        Assert.Equal(new StreamPosition("E", 5), positions.Find("user_socket:1", "a"));
        _time.Advance(TimeSpan.FromTicks(1));

        Assert.Null(positions.Find("user_socket:1", "a"));
    }

    [Fact]
    public void Save_MoreThanTheCap_DropsTheOldestFirst()
    {
        // The cap is 10 per push the history may keep, at least 10 000.
        var positions = CreatePositions(options => options.MaxTotalPushes = 100);
        for (var i = 0; i < 10_000; i++)
        {
            positions.Save($"user_socket:{i}", [Position("t", "E", i)]);
        }

        positions.Save("user_socket:0", [Position("t", "E", 1)]);
        positions.Save("user_socket:new", [Position("t", "E", 1)]);

        Assert.Equal(10_000, positions.Count);
        Assert.Null(positions.Find("user_socket:1", "t"));
        Assert.NotNull(positions.Find("user_socket:0", "t"));
        Assert.NotNull(positions.Find("user_socket:new", "t"));
    }

    private InMemoryResumePositions CreatePositions(Action<HistoryOptions>? configure = null)
    {
        var options = new PushExOptions();
        options.History.Window = Window;
        configure?.Invoke(options.History);
        return new InMemoryResumePositions(new HistoryPolicy(Options.Create(options)), _time);
    }

    private static KeyValuePair<string, StreamPosition> Position(string topic, string epoch, long offset) =>
        new(topic, new StreamPosition(epoch, offset));
}
