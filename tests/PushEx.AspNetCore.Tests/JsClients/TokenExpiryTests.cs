using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// The unmodified npm clients (<c>phoenix</c> 1.8.x, <c>pushex</c> 0.0.15) on a socket whose token expires
/// (<c>tests/js/token-expiry.mjs</c>): closed with 4001 "token expired", they reconnect by themselves with the fresh
/// token the app hands them, and lose no push across the gap.
/// </summary>
public sealed class TokenExpiryTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData("phoenix")]
    [InlineData("pushex")]
    public async Task TokenExpires_ClientReconnectsWithTheFreshToken_AndMissesNoPush(string client)
    {
        var handler = new ExpiringTokenSocketHandler();
        await using var host = await PushExTestHost.StartAsync(handler: handler);

        var observed = await NodeScript.RunAsync(
            "token-expiry.mjs",
            [$"--client={client}", $"--server={host.BaseAddress}", $"--key={TestApiAuthorizer.Key}", "--lifetime-ms=4000"],
            ScriptTimeout);

        var expiryClose = observed.GetProperty("closes")[0];
        Assert.Equal(4001, expiryClose.GetProperty("code").GetInt32());
        Assert.Equal("token expired", expiryClose.GetProperty("reason").GetString());
        Assert.Equal(2, observed.GetProperty("opens").GetInt32());
        Assert.Equal("[1,2,3]", observed.GetProperty("received").GetRawText());

        // The server saw the first token, the stale one again on every reconnect refused with 403 before the app had
        // refreshed it, and then the fresh one: the client's second connect carried the new params.
        var tokens = handler.Tokens.ToArray();
        Assert.Equal("token-1", tokens[0]);
        Assert.Equal("token-2", tokens[^1]);
        Assert.All(tokens[..^1], token => Assert.Equal("token-1", token));
        Assert.Contains("token=token-2", observed.GetProperty("endpoints")[1].GetString(), StringComparison.Ordinal);

        // The expiry close recorded where the client stood, so the rejoin with {} recovered (push 2 came through it,
        // or live if it was published after the rejoin read the history: once either way).
        var recovery = Assert.Single(observed.GetProperty("recoveryEvents").EnumerateArray());
        Assert.True(recovery.GetProperty("recovered").GetBoolean(), $"Expected a recovered rejoin: {observed}");

        if (client == "pushex")
        {
            // The close itself is no connection error; the reconnect refused for the stale token is, and pushex's
            // onConnectionError fires for it: that is where a pushex app calls resetParams().
            Assert.Equal(0, observed.GetProperty("errorsAtExpiryClose").GetInt32());
            Assert.True(observed.GetProperty("pushexCallbacks").GetProperty("onConnectionError").GetInt32() >= 1, $"{observed}");
        }
    }
}
