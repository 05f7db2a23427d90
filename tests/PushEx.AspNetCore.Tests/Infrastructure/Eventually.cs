namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Waits for a condition that has no event to await (a counter in another component), failing after a timeout.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {because}.");
            await Task.Delay(10);
        }
    }
}
