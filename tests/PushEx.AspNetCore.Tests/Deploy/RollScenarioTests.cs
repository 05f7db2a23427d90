using PushEx.AspNetCore.Tests.Infrastructure;
using PushEx.LoadTest.Roll;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// The load generator's roll scenario (samples/PushEx.LoadTest/Roll), run in process against one sample node with
/// nothing rolled: the baseline the roll test compares with. Every client must get every accepted push exactly once.
/// </summary>
public sealed class RollScenarioTests
{
    [Fact]
    public async Task RunAsync_NoRoll_DeliversEveryAcceptedPushOnceAndEndsJoined()
    {
        await using var node = await SampleHost.StartAsync();
        var settings = new RollSettings
        {
            Url = node.BaseAddress,
            Clients = 50,
            Rate = 50,
            SharedRate = 5,
            Authorization = "Bearer " + SampleHost.ApiKey,
            StartTimeout = TimeSpan.FromSeconds(20),
            Settle = TimeSpan.FromSeconds(10),
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(3));
        var log = new StringWriter();

        var result = await RollScenario.RunAsync(settings, log, stop.Token).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var output = new StringWriter();
        result.Print(output);
        var report = $"{log}\n{output}";
        Assert.True(result.PushesAcceptedUser > 0 && result.PushesAcceptedShared > 0, report);
        Assert.Equal(0, result.PushesFailed);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Duplicated);
        Assert.Equal(result.Expected, result.Delivered);
        // Each user push reaches its one user; each shared push reaches all 50.
        Assert.Equal(result.PushesAcceptedUser + (50 * result.PushesAcceptedShared), result.Expected);
        Assert.Equal(50, result.ConnectedAtEnd);
        Assert.Equal(50, result.JoinedAtEnd);
        Assert.True(result.Settled, report);
        Assert.True(result.Clean, report);
    }
}
