using System.Text.Json;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// Runs a case of <c>tests/js/npm-client.mjs</c> with one of the unmodified npm clients (<c>pushex</c> 0.0.15 or
/// <c>phoenix</c> 1.8.x) against a sample server.
/// </summary>
internal static class NpmClient
{
    /// <summary>The bound on one case; each case bounds its own waits well below it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    public static Task<JsonElement> RunAsync(string client, string @case, SampleHost host, params string[] extraArguments) =>
        NodeScript.RunAsync("npm-client.mjs", Arguments(client, @case, host, extraArguments), Timeout);

    public static NodeRun Start(string client, string @case, SampleHost host, params string[] extraArguments) =>
        Start(client, @case, host.BaseAddress, extraArguments);

    /// <summary>Starts a case against <paramref name="server"/>, such as a relay in front of several sample servers.</summary>
    public static NodeRun Start(string client, string @case, Uri server, params string[] extraArguments) =>
        NodeScript.Start("npm-client.mjs", Arguments(client, @case, server, extraArguments));

    /// <summary>The data each binding received, as JSON text, in order.</summary>
    public static string[] ReceivedData(JsonElement received) =>
        [.. received.EnumerateArray().Select(push => push.GetProperty("data").GetRawText())];

    private static string[] Arguments(string client, string @case, SampleHost host, string[] extraArguments) =>
        Arguments(client, @case, host.BaseAddress, extraArguments);

    private static string[] Arguments(string client, string @case, Uri server, string[] extraArguments) =>
    [
        $"--client={client}",
        $"--case={@case}",
        $"--server={server}",
        $"--key={SampleHost.ApiKey}",
        .. extraArguments,
    ];
}
