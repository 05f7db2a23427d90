using System.Text.Json;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Runs a script of <c>tests/js</c> with Node, where the unmodified npm clients are installed. A machine without
/// Node or without <c>tests/js/node_modules</c> fails the test with what to do; it never skips.
/// </summary>
public static class NodeScript
{
    /// <summary>
    /// Runs <c>node tests/js/{script} {arguments}</c>, fails the test unless it exits with 0 in time, and returns
    /// the JSON object on the last line of its standard output.
    /// </summary>
    public static async Task<JsonElement> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var node = ChildProcess.FindOnPath("node");
        Assert.True(node is not null,
            "Node.js (`node`) is not on PATH. The JS-client tests run the unmodified npm clients under Node 20 with npm; " +
            "install Node 20 and run `dotnet test` again (.ci/run expects it on the machine).");

        var modules = Path.Combine(RepositoryLayout.JsTests, "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "phoenix")) && Directory.Exists(Path.Combine(modules, "ws")),
            $"{modules} is missing or incomplete. The test build runs `npm ci` in tests/js when node_modules is missing or older " +
            "than package-lock.json (see the build output for why it did not); or run `npm ci` in tests/js by hand.");

        await using var child = ChildProcess.Start(node, [script, .. arguments], RepositoryLayout.JsTests);
        var exitCode = await child.WaitForExitAsync(timeout);
        Assert.True(exitCode == 0, $"`{child.CommandLine}` exited with {exitCode}. Output:\n{child.OutputTail}");

        var lastLine = child.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(lastLine is not null, $"`{child.CommandLine}` printed nothing. Output:\n{child.OutputTail}");
        using var document = JsonDocument.Parse(lastLine);
        return document.RootElement.Clone();
    }
}
