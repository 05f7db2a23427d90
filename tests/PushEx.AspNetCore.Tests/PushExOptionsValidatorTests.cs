using PushEx.History;

namespace PushEx.AspNetCore.Tests;

public sealed class PushExOptionsValidatorTests
{
    private readonly PushExOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = _validator.Validate(PushExOptions.SectionName, new PushExOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_SendQueueLimitBelowLargestPushPlusLargestFrame_FailsNamingTheSettings()
    {
        // The defaults: 256 KiB for the largest push, 64 KiB for the largest client frame (which bounds topic and join ref).
        var options = new PushExOptions { SocketSendQueueLimit = (256 * 1024) + (64 * 1024) - 1 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a queue that cannot hold the largest push was accepted");
        Assert.Contains("PushEx:SocketSendQueueLimit", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("PushEx:MaxPushBytes", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("PushEx:MaxFrameBytes", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SendQueueLimitExactlyLargestPushPlusLargestFrame_Succeeds()
    {
        var options = new PushExOptions { SocketSendQueueLimit = (256 * 1024) + (64 * 1024) };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_MaxPushBytesBelow1024_FailsNamingTheSetting()
    {
        var options = new PushExOptions { MaxPushBytes = 1023 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a push bound under 1024 bytes was accepted");
        Assert.Contains("PushEx:MaxPushBytes must be at least 1024", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1000, "PushEx:MaxTopicLength must be at least 1")]
    [InlineData(256, 0, "PushEx:MaxChannelsPerPush must be at least 1")]
    public void Validate_TopicOrChannelLimitBelowOne_FailsNamingTheSetting(int maxTopicLength, int maxChannelsPerPush, string expected)
    {
        var options = new PushExOptions { MaxTopicLength = maxTopicLength, MaxChannelsPerPush = maxChannelsPerPush };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a limit under 1 was accepted");
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(PushExOptions.MaxApiBodyDepth), 1, "PushEx:MaxApiBodyDepth must be between 2 and 1024")]
    [InlineData(nameof(PushExOptions.MaxApiBodyDepth), 1025, "PushEx:MaxApiBodyDepth must be between 2 and 1024")]
    [InlineData(nameof(PushExOptions.MaxJoinsPerSecond), -1, "PushEx:MaxJoinsPerSecond must be 0 (no limit) or more")]
    [InlineData(nameof(PushExOptions.JoinBurst), 0, "PushEx:JoinBurst must be at least 1")]
    [InlineData(nameof(PushExOptions.MaxFramesPerSecond), -1, "PushEx:MaxFramesPerSecond must be 0 (no limit) or more")]
    [InlineData(nameof(PushExOptions.MaxSocketsPerSocketId), -1, "PushEx:MaxSocketsPerSocketId must be 0 (no limit) or more")]
    public void Validate_ClientLimitOutOfRange_FailsNamingTheSetting(string option, int value, string expected)
    {
        var options = new PushExOptions();
        typeof(PushExOptions).GetProperty(option)!.SetValue(options, value);

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, $"{option} = {value} was accepted");
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(PushExOptions.MaxApiBodyDepth), 2)]
    [InlineData(nameof(PushExOptions.MaxApiBodyDepth), 1024)]
    [InlineData(nameof(PushExOptions.MaxJoinsPerSecond), 0)]
    [InlineData(nameof(PushExOptions.JoinBurst), 1)]
    [InlineData(nameof(PushExOptions.MaxFramesPerSecond), 0)]
    [InlineData(nameof(PushExOptions.MaxSocketsPerSocketId), 0)]
    public void Validate_ClientLimitAtItsBound_Succeeds(string option, int value)
    {
        var options = new PushExOptions();
        typeof(PushExOptions).GetProperty(option)!.SetValue(options, value);

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_FrameBurstNotAboveMaxChannelsPerSocket_FailsNamingBothSettings()
    {
        // A reconnecting client rejoins every channel at once: a burst that cannot hold that closes it every time.
        var options = new PushExOptions { MaxChannelsPerSocket = 300, FrameBurst = 300 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a frame burst that a full rejoin overflows was accepted");
        Assert.Contains("PushEx:FrameBurst (300) must be more than PushEx:MaxChannelsPerSocket (300)", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FrameBurstBelowChannelsButFrameLimitOff_Succeeds()
    {
        var options = new PushExOptions { MaxChannelsPerSocket = 300, FrameBurst = 1, MaxFramesPerSecond = 0 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_MaxPushBytesAboveMaxApiBodyBytes_Succeeds()
    {
        // Independent on purpose: one API body may carry many channels, and in-process pushes have no body at all.
        var options = new PushExOptions { MaxApiBodyBytes = 64 * 1024, MaxPushBytes = 128 * 1024 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_HistoryWindowNotPositive_FailsNamingTheSetting(int seconds)
    {
        var options = new PushExOptions();
        options.History.Window = TimeSpan.FromSeconds(seconds);
        options.History.PositionRetention = TimeSpan.Zero;

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a history window that is not positive was accepted");
        Assert.Contains("PushEx:History:Window must be positive", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryMaxPushesPerTopicNegative_FailsNamingTheSetting()
    {
        var options = new PushExOptions();
        options.History.MaxPushesPerTopic = -1;

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a negative per-topic count was accepted");
        Assert.Contains("PushEx:History:MaxPushesPerTopic must be 0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryMaxTotalPushesNegative_FailsNamingTheSetting()
    {
        var options = new PushExOptions();
        options.History.MaxTotalPushes = -1;

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a negative total was accepted");
        Assert.Contains("PushEx:History:MaxTotalPushes must be 0 or more", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryMaxTotalBytesNegative_FailsNamingTheSetting()
    {
        var options = new PushExOptions();
        options.History.MaxTotalBytes = -1;

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a negative byte total was accepted");
        Assert.Contains("PushEx:History:MaxTotalBytes must be 0 or more", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryPositionRetentionShorterThanTheWindow_FailsNamingBothSettings()
    {
        var options = new PushExOptions();
        options.History.Window = TimeSpan.FromMinutes(5);
        options.History.PositionRetention = TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1);

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "positions forgotten before their pushes expire were accepted");
        Assert.Contains("PushEx:History:PositionRetention", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("must be at least PushEx:History:Window", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryOffWithZeroCountsAndRetentionEqualToTheWindow_Succeeds()
    {
        var options = new PushExOptions();
        options.History.Enabled = false;
        options.History.MaxPushesPerTopic = 0;
        options.History.MaxTotalPushes = 0;
        options.History.PositionRetention = options.History.Window;
        options.History.Rules.Add(new TopicHistoryRule { Prefix = "presence:", MaxPushes = 0 });

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Validate_HistoryRuleWithoutPrefix_FailsNamingTheRule(string? prefix)
    {
        var options = new PushExOptions();
        options.History.Rules.Add(new TopicHistoryRule { Prefix = "user:", MaxPushes = 10 });
        options.History.Rules.Add(new TopicHistoryRule { Prefix = prefix!, MaxPushes = 10 });

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a rule without a prefix was accepted");
        Assert.Contains("PushEx:History:Rules:1:Prefix must not be empty", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryRuleWithNegativeMaxPushes_FailsNamingTheRule()
    {
        var options = new PushExOptions();
        options.History.Rules.Add(new TopicHistoryRule { Prefix = "user:", MaxPushes = -1 });

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a rule with a negative count was accepted");
        Assert.Contains("PushEx:History:Rules:0:MaxPushes must be 0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryRulesWithTheSamePrefix_FailsNamingTheLaterRule()
    {
        var options = new PushExOptions();
        options.History.Rules.Add(new TopicHistoryRule { Prefix = "user:", MaxPushes = 10 });
        options.History.Rules.Add(new TopicHistoryRule { Prefix = "user:", MaxPushes = 20 });

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "two rules for one prefix were accepted");
        Assert.Contains("PushEx:History:Rules:1:Prefix 'user:'", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HistoryRuleMissing_FailsNamingTheRule()
    {
        var options = new PushExOptions();
        options.History.Rules.Add(null!);

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a missing rule was accepted");
        Assert.Contains("PushEx:History:Rules:0 is missing", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0.1, 50, "PushEx:Rebalance:Interval")]
    [InlineData(5000, -0.1, 50, "PushEx:Rebalance:Tolerance")]
    [InlineData(5000, double.NaN, 50, "PushEx:Rebalance:Tolerance")]
    [InlineData(5000, 0.1, 0, "PushEx:Rebalance:MaxClosesPerSecond")]
    [InlineData(500, 0.1, 1, "PushEx:Rebalance:MaxClosesPerSecond (1) × PushEx:Rebalance:Interval")]
    public void Validate_BadRebalanceSetting_FailsNamingIt(int intervalMilliseconds, double tolerance, int maxClosesPerSecond, string named)
    {
        var options = new PushExOptions();
        options.Rebalance.Interval = TimeSpan.FromMilliseconds(intervalMilliseconds);
        options.Rebalance.Tolerance = tolerance;
        options.Rebalance.MaxClosesPerSecond = maxClosesPerSecond;

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Failed, "a rebalancer setting that cannot work was accepted");
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }
}
