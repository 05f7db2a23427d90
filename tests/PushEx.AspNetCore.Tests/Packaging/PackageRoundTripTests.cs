using System.IO.Compression;
using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Packaging;

/// <summary>
/// How users meet the library: pack it, take it into a fresh <c>dotnet new web</c> app with <c>dotnet add package</c>,
/// start that app, join a topic over a real WebSocket and receive a push posted to the app's push API.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class PackageRoundTripTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private const string ApiKey = "round-trip-key";

    // A user's first app: every socket may connect and join; the push API takes one shared key.
    private const string AppProgram = """
        using PushEx.AspNetCore.Api;
        using PushEx.Sockets;

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddPushEx().AddSocketHandler<AllowAll>().AddApiAuthorizer<SharedKey>();

        var app = builder.Build();
        app.MapPushEx();
        app.Run();

        sealed class AllowAll : ISocketHandler
        {
            public ValueTask<ConnectResult> ConnectAsync(SocketConnectContext context, CancellationToken cancellationToken) =>
                ValueTask.FromResult(ConnectResult.Ok());

            public string? GetSocketId(IReadOnlyDictionary<string, object?> assigns) => null;

            public string GetPresenceIdentifier(IReadOnlyDictionary<string, object?> assigns) => "anonymous";

            public ValueTask<JoinResult> JoinAsync(JoinContext context, CancellationToken cancellationToken) =>
                ValueTask.FromResult(JoinResult.Ok(new { topic = context.Topic }));
        }

        sealed class SharedKey : IPushApiAuthorizer
        {
            public ValueTask<PushApiAuthorization> AuthorizeAsync(PushApiAuthorizationContext context, CancellationToken cancellationToken) =>
                ValueTask.FromResult(context.HttpContext.Request.Headers.Authorization == "Bearer API_KEY"
                    ? PushApiAuthorization.Allow()
                    : PushApiAuthorization.Forbid());
        }
        """;

    [Fact(Timeout = 15 * 60 * 1000)]
    public async Task PackedPackage_AddedToFreshWebApp_JoinsTopicAndReceivesPush()
    {
        // A version no earlier run used, so no NuGet cache can hand back a stale build.
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var work = Directory.CreateTempSubdirectory("pushex-packaging-");
        var feed = Path.Combine(work.FullName, "feed");
        var app = Path.Combine(work.FullName, "app");
        try
        {
            // Packed from the repository, but built under the temporary folder (--artifacts-path): the Release
            // build never touches the obj/ and bin/ folders of the test run's own Debug build.
            var artifacts = Path.Combine(work.FullName, "artifacts");
            foreach (var project in new[] { "PushEx.Core", "PushEx.AspNetCore" })
            {
                await DotnetAsync(RepositoryLayout.Root,
                    "pack", RepositoryLayout.Src(project), "-c", "Release", "-o", feed, "--artifacts-path", artifacts, $"-p:Version={version}");
            }

            AssertPackage(feed, "PushEx.Core", version, dependency: null);
            AssertPackage(feed, "PushEx.AspNetCore", version, dependency: "PushEx.Core");

            await DotnetAsync(work.FullName, "new", "web", "--name", "RoundTripApp", "--output", app);
            // Adds the feed; the machine's own sources stay (no <clear/>), as a user's would.
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="pushex-round-trip" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await DotnetAsync(app, "add", "package", "PushEx.AspNetCore", "--version", version);
            File.WriteAllText(Path.Combine(app, "Program.cs"), AppProgram.Replace("API_KEY", ApiKey, StringComparison.Ordinal));
            await DotnetAsync(app, "build", "-c", "Release");

            await using var server = ChildProcess.Start("dotnet",
                ["run", "--no-build", "-c", "Release", "--no-launch-profile", "--", "--urls", "http://127.0.0.1:0"], app);
            var listening = await server.WaitForOutputAsync(ListeningLine(), StartTimeout, TestContext.Current.CancellationToken);
            var port = listening.Groups["port"].Value;
            var socketUri = new Uri($"ws://127.0.0.1:{port}/push_socket/websocket?vsn=2.0.0");

            await using (var client = await TestWebSocket.ConnectAsync(socketUri))
            {
                await client.SendTextAsync("""["1","1","room:lobby","phx_join",{}]""");
                Assert.Equal("""["1","1","room:lobby","phx_reply",{"status":"ok","response":{"topic":"room:lobby"}}]""", await client.ReceiveTextAsync());
                await client.SendTextAsync("""[null,"2","phoenix","heartbeat",{}]""");
                Assert.Equal("""[null,"2","phoenix","phx_reply",{"status":"ok","response":{}}]""", await client.ReceiveTextAsync());

                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
                const string push = """{"channel":"room:lobby","data":{"id":1},"event":"created"}""";
                using (var refused = await PushApiClient.PostAsync(http, push, key: "wrong"))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                }

                using (var accepted = await PushApiClient.PostAsync(http, push, key: ApiKey))
                {
                    Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
                    Assert.Equal("""{"channel":["room:lobby"],"data":{"id":1},"event":"created"}""", await PushApiClient.BodyAsync(accepted));
                }

                Assert.Equal("""["1",null,"room:lobby","msg",{"data":{"id":1},"event":"created","offset":1,"epoch":"…"}]""", Epochs.Mask(await client.ReceiveTextAsync()));
            }

            server.Kill();
        }
        finally
        {
            TryDelete(work.FullName);
            RemoveFromPackageCache("PushEx.Core", version);
            RemoveFromPackageCache("PushEx.AspNetCore", version);
        }
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();

    private static Task<string> DotnetAsync(string workingDirectory, params string[] arguments) =>
        ChildProcess.RunAsync("dotnet", arguments, workingDirectory, CommandTimeout, cancellationToken: TestContext.Current.CancellationToken);

    private static void AssertPackage(string feed, string id, string version, string? dependency)
    {
        var package = Path.Combine(feed, $"{id}.{version}.nupkg");
        var symbols = Path.Combine(feed, $"{id}.{version}.snupkg");
        Assert.True(File.Exists(package), $"{package} is missing; the feed holds: {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
        Assert.True(File.Exists(symbols), $"{symbols} (the symbol package) is missing.");

        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(entry => entry.FullName).ToList();
            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);

            var nuspecEntry = Assert.Single(zip.Entries, entry => entry.FullName == $"{id}.nuspec");
            using var stream = nuspecEntry.Open();
            var metadata = XDocument.Load(stream).Root!.Elements().Single(element => element.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)?.Value;

            Assert.Equal(id, Value("id"));
            Assert.Equal(version, Value("version"));
            var license = metadata.Elements().Single(element => element.Name.LocalName == "license");
            Assert.Equal("expression", license.Attribute("type")?.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Equal("README.md", Value("readme"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id} has no description.");
            Assert.Contains(metadata.Elements(), element => element.Name.LocalName == "repository");

            if (dependency is not null)
            {
                var dependencies = metadata.Descendants().Where(element => element.Name.LocalName == "dependency");
                Assert.Contains(dependencies, element => element.Attribute("id")?.Value == dependency && element.Attribute("version")?.Value == version);
            }
        }

        using (var zip = ZipFile.OpenRead(symbols))
        {
            Assert.Contains($"lib/net10.0/{id}.pdb", zip.Entries.Select(entry => entry.FullName));
        }
    }

    // The test versions are unique, so they would pile up in the machine's package cache run after run.
    private static void RemoveFromPackageCache(string id, string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var idFolder = Path.Combine(cache, id.ToLowerInvariant());
        TryDelete(Path.Combine(idFolder, version.ToLowerInvariant()));
        if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
        {
            TryDelete(idFolder);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Cleanup is best effort; a leftover temporary folder must not fail the test.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
