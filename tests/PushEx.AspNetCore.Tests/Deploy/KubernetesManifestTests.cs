using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PushEx.AspNetCore.Tests.Infrastructure;
using static PushEx.AspNetCore.Tests.Deploy.KubernetesManifests;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// What can be checked of <c>deploy/kubernetes/</c> and <c>deploy/docker/Dockerfile</c> without a cluster or a Docker
/// daemon (issue 12): the variables name real settings with values of the right type, and take effect on the real
/// sample; the probes answer there; the ports agree; the grace period covers the drain.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    /// <summary>
    /// The sample's own settings, read from configuration by its code rather than bound to an options class (a test
    /// below checks the sample's sources still read each).
    /// </summary>
    private static readonly Dictionary<string, Type> SampleSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["PushEx:Redis"] = typeof(string),
        ["Sample:ApiKey"] = typeof(string),
        ["Sample:TokenKey"] = typeof(string),
    };

    /// <summary>
    /// The key .NET's host reads <c>HostOptions.ShutdownTimeout</c> from, in whole seconds (<c>HostOptions__…</c> is
    /// not bound). A value that does not parse is ignored silently, leaving the default of 30 s.
    /// </summary>
    private const string HostShutdownKey = "shutdownTimeoutSeconds";

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly KubernetesManifests _manifests = KubernetesManifests.Load();

    [Fact]
    public void Environment_EveryVariable_NamesARealSetting()
    {
        var variables = _manifests.Environment;

        var unknown = variables.Where(variable => Resolve(variable.Name) is null)
            .Select(variable => $"{variable.Name} ({variable.File})").ToList();

        Assert.Contains(variables, variable => variable.Name.StartsWith("PushEx__", StringComparison.Ordinal));
        Assert.True(unknown.Count == 0,
            $"Variables that name no PushExOptions property, no setting the sample reads and no host setting: {string.Join(", ", unknown)}.");
    }

    [Fact]
    public void Environment_EveryValue_ParsesAsItsSettingsType()
    {
        var failures = new List<string>();
        foreach (var variable in _manifests.Environment.Where(variable => variable.Value is not null))
        {
            var setting = Resolve(variable.Name);
            Assert.True(setting is not null, $"{variable.Name} names no setting.");
            if (!TryParse(setting, variable.Value!, out _))
            {
                failures.Add($"{variable.Name}: \"{variable.Value}\" is not a {setting.Type.Name} ({variable.File})");
            }
        }

        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Fact]
    public void Environment_SecretsAndKeys_ComeFromASecretReference()
    {
        var literal = _manifests.Environment
            .Where(variable => variable.Value is not null && SecretName().IsMatch(variable.Name))
            .Select(variable => variable.Name).ToList();

        Assert.True(literal.Count == 0, $"Secrets written into the manifests: {string.Join(", ", literal)}; take them from a secretKeyRef.");
    }

    [Fact]
    public async Task Environment_OnTheSample_TakesEffect()
    {
        var variables = _manifests.Environment;
        await using var sample = await SampleHost.StartAsync(SampleArguments(variables));

        foreach (var variable in variables.Where(variable => !IsRedis(variable.Name)))
        {
            var setting = Resolve(variable.Name)!;
            var expected = variable.Value is null ? SecretStandIn(variable.Name) : Parse(setting, variable.Value);
            Assert.True(Equals(expected, setting.Current(sample.Services)),
                $"{variable.Name}={variable.Value ?? "(secret)"} did not reach the sample: {setting.Key} is {setting.Current(sample.Services)}.");
        }
    }

    [Fact]
    public async Task Probes_OnTheSampleWithTheManifestsSettings_Answer200()
    {
        var container = _manifests.Container;
        var readiness = Map(container, "readinessProbe");
        var liveness = Map(container, "livenessProbe");
        await using var sample = await SampleHost.StartAsync(SampleArguments(_manifests.Environment));
        using var http = new HttpClient { BaseAddress = sample.BaseAddress, Timeout = RequestTimeout };

        // Readiness is PushEx's check, as docs/deployment.md says: every 2 s, and one failure takes the pod out.
        Assert.Equal("/health/ready", Text(Map(readiness, "httpGet"), "path"));
        Assert.Equal(2, WholeNumber(readiness, "periodSeconds"));
        Assert.Equal(1, WholeNumber(readiness, "failureThreshold"));
        Assert.Equal("/health/live", Text(Map(liveness, "httpGet"), "path"));
        foreach (var probe in new[] { readiness, liveness })
        {
            var path = Text(Map(probe, "httpGet"), "path");
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} on the sample answered {(int)response.StatusCode}.");
        }
    }

    [Fact]
    public void Ports_OfTheContainerProbesAndService_AreTheDockerfilesPort()
    {
        var dockerfile = Dockerfile();
        var exposed = Assert.Single(Regex.Matches(dockerfile, @"^EXPOSE\s+(\d+)\s*$", RegexOptions.Multiline)).Groups[1].Value;
        var listening = Assert.Single(Regex.Matches(dockerfile, @"^ENV\s+ASPNETCORE_URLS=http://\+:(\d+)\s*$", RegexOptions.Multiline)).Groups[1].Value;
        var port = int.Parse(exposed, CultureInfo.InvariantCulture);
        var container = _manifests.Container;
        var service = _manifests.OfKind("Service");

        Assert.Equal(exposed, listening);
        Assert.All(List(container, "ports"), entry => Assert.Equal(port, WholeNumber((Dictionary<string, object?>)entry!, "containerPort")));
        Assert.Equal(port, _manifests.ContainerPort(Text(Map(container, "readinessProbe", "httpGet"), "port")));
        Assert.Equal(port, _manifests.ContainerPort(Text(Map(container, "livenessProbe", "httpGet"), "port")));
        Assert.All(List(Map(service, "spec"), "ports"),
            entry => Assert.Equal(port, _manifests.ContainerPort(Text((Dictionary<string, object?>)entry!, "targetPort"))));
    }

    [Fact]
    public void ShutdownBudget_GracePeriod_CoversPreStopAndTheHostsTimeout_WhichCoversTheDrain()
    {
        var values = _manifests.Environment.Where(variable => variable.Value is not null)
            .ToDictionary(variable => Resolve(variable.Name)?.Key ?? variable.Name, variable => variable.Value!, StringComparer.OrdinalIgnoreCase);
        var defaults = new PushExOptions();
        var grace = WholeNumber(_manifests.PodSpec, "terminationGracePeriodSeconds");
        var preStop = PreStopSeconds(Map(_manifests.Container, "lifecycle", "preStop"));
        Assert.True(values.TryGetValue(HostShutdownKey, out var hostText),
            $"The container does not set the host's shutdown timeout (DOTNET_SHUTDOWNTIMEOUTSECONDS); its default of 30 s is below the drain's {3 * defaults.ShutdownTimeout.TotalSeconds} s.");
        var host = TimeSpan.FromSeconds(int.Parse(hostText, NumberStyles.None, CultureInfo.InvariantCulture));
        var shutdownTimeout = values.TryGetValue("PushEx:ShutdownTimeout", out var text) ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : defaults.ShutdownTimeout;
        var window = values.TryGetValue("PushEx:ShutdownDisconnectWindow", out text) ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : defaults.ShutdownDisconnectWindow;

        Assert.True(values.TryGetValue("PushEx:DisconnectSocketsOnShutdown", out text) && bool.Parse(text),
            "PushEx__DisconnectSocketsOnShutdown is not true: a rolling deploy would drop every socket (1006) when the host's timeout ends.");
        Assert.True(window <= shutdownTimeout, $"The disconnect window ({window}) exceeds PushEx's ShutdownTimeout ({shutdownTimeout}).");
        Assert.True(host >= 3 * shutdownTimeout,
            $"The host's shutdown timeout ({host.TotalSeconds} s) is below the drain's budget, 3 × PushEx__ShutdownTimeout = {3 * shutdownTimeout.TotalSeconds} s.");
        Assert.True(grace > preStop + host.TotalSeconds,
            $"terminationGracePeriodSeconds ({grace}) is not above preStop ({preStop} s) + the host's shutdown timeout ({host.TotalSeconds} s): the kubelet would kill the drain.");
    }

    [Fact]
    public void Rollout_SurgesBeforeStopping_AndEveryObjectSelectsThePods()
    {
        var deployment = _manifests.Deployment;
        var podLabels = Map(deployment, "spec", "template", "metadata", "labels");
        var strategy = Map(deployment, "spec", "strategy");
        var disruptionBudget = Map(_manifests.OfKind("PodDisruptionBudget"), "spec");

        Assert.Equal("RollingUpdate", Text(strategy, "type"));
        Assert.Equal(0, WholeNumber(Map(strategy, "rollingUpdate"), "maxUnavailable"));
        Assert.True(WholeNumber(Map(strategy, "rollingUpdate"), "maxSurge") >= 1, "maxSurge must start a new pod before an old one stops.");
        Assert.Equal(1, WholeNumber(disruptionBudget, "maxUnavailable"));
        Assert.Equal("ClusterIP", Text(Map(_manifests.OfKind("Service"), "spec"), "type"));
        foreach (var selector in new[]
                 {
                     Map(deployment, "spec", "selector", "matchLabels"),
                     Map(disruptionBudget, "selector", "matchLabels"),
                     Map(_manifests.OfKind("Service"), "spec", "selector"),
                 })
        {
            Assert.All(selector, label => Assert.Equal(label.Value, podLabels.GetValueOrDefault(label.Key)));
        }
    }

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_AndRunsOnTheAspNetRuntimeAsNonRoot()
    {
        var dockerfile = Dockerfile();
        var stages = Regex.Matches(dockerfile, @"^FROM\s+(\S+)", RegexOptions.Multiline).Select(match => match.Groups[1].Value).ToList();
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var user = Assert.Single(Regex.Matches(runtime, @"^USER\s+(\S+)\s*$", RegexOptions.Multiline)).Groups[1].Value;

        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/aspnet:10.0"], stages);
        // The aspnet images' non-root user by uid, or any other non-zero uid: a name would keep runAsNonRoot from verifying it.
        Assert.True(user == "$APP_UID" || (int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid > 0),
            $"The runtime stage runs as '{user}', not as a non-root uid.");
        Assert.DoesNotMatch(new Regex(@"^(ENV|ARG)\s+\S*(Key|Secret|Password|Token)", RegexOptions.Multiline | RegexOptions.IgnoreCase), dockerfile);
        Assert.True(File.Exists(Path.Combine(RepositoryLayout.Root, ".dockerignore")), "The build context (the repository root) has no .dockerignore.");
    }

    [Fact]
    public void SampleSettings_KnownToTheTest_AreReadByTheSample()
    {
        var sources = string.Concat(Directory.GetFiles(Path.Combine(RepositoryLayout.Root, "samples", "PushEx.Sample"), "*.cs").Select(File.ReadAllText));

        Assert.All(SampleSettings.Keys, key => Assert.Contains($"\"{key}\"", sources, StringComparison.Ordinal));
    }

    /// <summary>The setting a variable names, through the default host's environment providers, or null.</summary>
    private static Setting? Resolve(string variable)
    {
        var key = ConfigurationKey(variable);
        if (SampleSettings.TryGetValue(key, out var type))
        {
            return new Setting(key, type, services => services.GetRequiredService<IConfiguration>()[key]);
        }

        if (string.Equals(key, HostShutdownKey, StringComparison.OrdinalIgnoreCase))
        {
            return new Setting(HostShutdownKey, typeof(int),
                services => (int)services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout.TotalSeconds);
        }

        var segments = key.Split(':');
        if (segments.Length > 1 && string.Equals(segments[0], PushExOptions.SectionName, StringComparison.OrdinalIgnoreCase)
            && Option(typeof(PushExOptions), segments[1..]) is var (optionType, read))
        {
            return new Setting(key, optionType, services => read(services.GetRequiredService<IOptions<PushExOptions>>().Value));
        }

        return null;
    }

    /// <summary>
    /// How the default host's environment providers name a variable in configuration: <c>DOTNET_</c> and
    /// <c>ASPNETCORE_</c> variables also without their prefix, and <c>__</c> for <c>:</c>.
    /// </summary>
    private static string ConfigurationKey(string variable)
    {
        foreach (var prefix in (string[])["DOTNET_", "ASPNETCORE_"])
        {
            if (variable.StartsWith(prefix, StringComparison.Ordinal))
            {
                variable = variable[prefix.Length..];
                break;
            }
        }

        return variable.Replace("__", ":", StringComparison.Ordinal);
    }

    /// <summary>
    /// The scalar an options path ends at, as the configuration binder sees it: properties by name (case-insensitive),
    /// collections by index, a scalar only when it has a public setter. Null when the path names nothing bindable.
    /// </summary>
    private static (Type Type, Func<object, object?> Read)? Option(Type root, string[] segments)
    {
        var type = root;
        Func<object, object?> read = options => options;
        foreach (var segment in segments)
        {
            var previous = read;
            if (ElementType(type) is { } element)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    return null;
                }

                read = options => ((IEnumerable)previous(options)!).Cast<object?>().ElementAtOrDefault(index);
                type = element;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property?.GetMethod is null || (IsScalar(property.PropertyType) && property.SetMethod is not { IsPublic: true }))
            {
                return null;
            }

            read = options => property.GetValue(previous(options));
            type = property.PropertyType;
        }

        return IsScalar(type) ? (type, read) : null;
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(TimeSpan) || type == typeof(decimal);

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(face => face.IsGenericType && face.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    private static bool TryParse(Setting setting, string text, out object? value)
    {
        value = null;
        if (setting.Key == HostShutdownKey)
        {
            // As HostOptions parses it.
            var parsed = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds);
            value = seconds;
            return parsed;
        }

        try
        {
            // As the configuration binder converts it.
            value = TypeDescriptor.GetConverter(setting.Type).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static object? Parse(Setting setting, string text)
    {
        Assert.True(TryParse(setting, text, out var value), $"{setting.Key}: \"{text}\" is not a {setting.Type.Name}.");
        return value;
    }

    /// <summary>
    /// The manifests' variables as the sample's command-line configuration, with a stand-in for each secret. The Redis
    /// address is left out: it names the cluster's Redis (the Redis tests cover the backplane).
    /// </summary>
    private static List<string> SampleArguments(IEnumerable<EnvironmentVariable> variables) =>
        variables.Where(variable => !IsRedis(variable.Name))
            .Select(variable => $"--{ConfigurationKey(variable.Name)}={variable.Value ?? SecretStandIn(variable.Name)}")
            .ToList();

    private static bool IsRedis(string variable) => string.Equals(ConfigurationKey(variable), "PushEx:Redis", StringComparison.OrdinalIgnoreCase);

    private static string SecretStandIn(string variable) => $"from-a-secret-{variable}";

    private static double PreStopSeconds(Dictionary<string, object?> preStop)
    {
        if (preStop.ContainsKey("sleep"))
        {
            return WholeNumber(Map(preStop, "sleep"), "seconds");
        }

        var command = List(Map(preStop, "exec"), "command");
        Assert.True(command is ["sleep", string seconds] && int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out _),
            $"preStop runs [{string.Join(", ", command)}], not [\"sleep\", \"N\"].");
        return int.Parse((string)command[1]!, CultureInfo.InvariantCulture);
    }

    private static string Dockerfile() => File.ReadAllText(Path.Combine(RepositoryLayout.Root, "deploy", "docker", "Dockerfile"));

    [GeneratedRegex("(Key|Secret|Password|Token)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    private sealed record Setting(string Key, Type Type, Func<IServiceProvider, object?> Current);
}
