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

    [Fact]
    public void Validate_MaxPushBytesAboveMaxApiBodyBytes_Succeeds()
    {
        // Independent on purpose: one API body may carry many channels, and in-process pushes have no body at all.
        var options = new PushExOptions { MaxApiBodyBytes = 64 * 1024, MaxPushBytes = 128 * 1024 };

        var result = _validator.Validate(PushExOptions.SectionName, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }
}
