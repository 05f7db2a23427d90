using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.JsClients;

/// <summary>
/// A real browser: Debian's Chromium (<c>/usr/bin/chromium</c>, installed by .ci/run), driven headless by
/// playwright-core, opens the sample's page and a page that loads the unmodified pushex bundle, and each shows a
/// push posted to the API. The screenshots are kept in <c>TestResults/browser</c> beside the test binaries.
/// </summary>
public sealed class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SamplePageAndPushexPage_ShowAPushPostedToTheApi()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's `chromium` package (.ci/run does).");
        await using var host = await SampleHost.StartAsync();
        var screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");

        var observed = await NodeScript.RunAsync(
            "browser.mjs",
            [$"--server={host.BaseAddress}", $"--key={SampleHost.ApiKey}", $"--out={screenshots}", $"--chromium={Chromium}"],
            ScriptTimeout);

        var sample = observed.GetProperty("samplePage");
        Assert.Equal("connected", sample.GetProperty("status").GetString());
        Assert.Equal("public, user:1", sample.GetProperty("subscriptions").GetString());
        var samplePushes = sample.GetProperty("pushes").EnumerateArray().Select(item => item.GetString()!).ToArray();
        Assert.Equal(2, samplePushes.Length);
        // Newest first, as the page lists them: "<time>  <topic>  <event>  <data>".
        Assert.EndsWith("  user:1  private  [1,\"two\",null]", samplePushes[0], StringComparison.Ordinal);
        Assert.EndsWith("  public  greeting  {\"text\":\"Hello from the browser test ✓\"}", samplePushes[1], StringComparison.Ordinal);

        var pushex = observed.GetProperty("pushexPage");
        Assert.Equal("connected", pushex.GetProperty("status").GetString());
        Assert.Equal("user:1", pushex.GetProperty("joined").GetString());
        Assert.Equal(["user:1  created  {\"id\":42,\"text\":\"pushed to a pushex page ✓\"}"], pushex.GetProperty("pushes").EnumerateArray().Select(item => item.GetString()));

        Assert.Equal(0, observed.GetProperty("pageErrors").GetArrayLength());
        Assert.Equal(0, observed.GetProperty("consoleErrors").GetArrayLength());
        // The browser asks for /favicon.ico by itself; the sample has none. Nothing else may fail.
        Assert.All(observed.GetProperty("failedRequests").EnumerateArray(), request => Assert.EndsWith(": 404 /favicon.ico", request.GetString(), StringComparison.Ordinal));
        foreach (var page in new[] { sample, pushex })
        {
            var screenshot = page.GetProperty("screenshot").GetString()!;
            Assert.True(new FileInfo(screenshot).Length > 10_000, $"{screenshot} is missing or empty");
            TestContext.Current.TestOutputHelper?.WriteLine($"Screenshot: {screenshot}");
            TestContext.Current.AddAttachment(Path.GetFileName(screenshot), await File.ReadAllBytesAsync(screenshot, TestContext.Current.CancellationToken), "image/png");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"Chromium {observed.GetProperty("browserVersion").GetString()}");
    }
}
