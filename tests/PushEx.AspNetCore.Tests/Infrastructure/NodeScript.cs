using System.Text.Json;

namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Runs a script of <c>tests/js</c> with Node, where the unmodified npm clients are installed. A machine without
/// Node or without <c>tests/js/node_modules</c> fails the test with what to do; it never skips.
/// </summary>
public static class NodeScript
{
    private static readonly string[] RequiredPackages = ["phoenix", "pushex", "ws", "playwright-core"];

    /// <summary>
    /// Runs <c>node tests/js/{script} {arguments}</c>, fails the test unless it exits with 0 in time, and returns
    /// the JSON object on the last line of its standard output.
    /// </summary>
    public static async Task<JsonElement> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        await using var run = Start(script, arguments);
        return await run.ResultAsync(timeout);
    }

    /// <summary>
    /// Starts <c>node tests/js/{script} {arguments}</c>, for a test that acts while the script runs: it waits for
    /// the script's progress lines (<see cref="NodeRun.WaitForProgressAsync"/>), then for its result.
    /// </summary>
    public static NodeRun Start(string script, IEnumerable<string> arguments)
    {
        var node = ChildProcess.FindOnPath("node");
        Assert.True(node is not null,
            "Node.js (`node`) is not on PATH. The JS-client tests run the unmodified npm clients under Node 20 with npm; " +
            "install Node 20 and run `dotnet test` again (.ci/run expects it on the machine).");

        var modules = Path.Combine(RepositoryLayout.JsTests, "node_modules");
        Assert.True(RequiredPackages.All(package => Directory.Exists(Path.Combine(modules, package))),
            $"{modules} is missing or incomplete. The test build runs `npm ci` in tests/js when node_modules is missing or older " +
            "than package-lock.json (see the build output for why it did not); or run `npm ci` in tests/js by hand.");

        return new NodeRun(ChildProcess.Start(node, [script, .. arguments], RepositoryLayout.JsTests));
    }
}
