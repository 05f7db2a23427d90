namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>Where the repository's folders are, found from the test binaries by walking up to <c>PushEx.sln</c>.</summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder that holds <c>PushEx.sln</c>.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The JS-client tests: <c>tests/js</c>, with its <c>package.json</c> and scripts.</summary>
    public static string JsTests => Path.Combine(Root, "tests", "js");

    public static string Src(string project) => Path.Combine(Root, "src", project, project + ".csproj");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PushEx.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds PushEx.sln; run the tests from the repository.");
    }
}
