using System.Text.Json;
using System.Text.RegularExpressions;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A running script of <c>tests/js</c> (see <see cref="NodeScript.Start"/>). It prints progress lines
/// <c>{"progress":"name",…}</c> while it runs and one JSON line of what it observed at the end; disposing kills it.
/// </summary>
public sealed class NodeRun : IAsyncDisposable
{
    private readonly ChildProcess _child;

    internal NodeRun(ChildProcess child) => _child = child;

    /// <summary>Waits until the script reports <paramref name="name"/>; fails with its output if it exits or times out first.</summary>
    public async Task WaitForProgressAsync(string name, TimeSpan timeout) =>
        await _child.WaitForOutputAsync(
            new Regex($$"""^\{"progress":"{{Regex.Escape(name)}}"[,}]""", RegexOptions.CultureInvariant),
            timeout,
            TestContext.Current.CancellationToken);

    /// <summary>Waits for the script to exit with 0 and returns the JSON object on its last line of output.</summary>
    public async Task<JsonElement> ResultAsync(TimeSpan timeout)
    {
        var exitCode = await _child.WaitForExitAsync(timeout, TestContext.Current.CancellationToken);
        Assert.True(exitCode == 0, $"`{_child.CommandLine}` exited with {exitCode}. Output:\n{_child.OutputTail}");

        var lastLine = _child.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(lastLine is not null, $"`{_child.CommandLine}` printed nothing. Output:\n{_child.OutputTail}");
        using var document = JsonDocument.Parse(lastLine);
        return document.RootElement.Clone();
    }

    public ValueTask DisposeAsync() => _child.DisposeAsync();
}
