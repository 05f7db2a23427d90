using System.Globalization;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Deploy;

/// <summary>
/// The templates in <c>deploy/kubernetes/</c>, read with <see cref="BlockYaml"/>: the objects by kind, and the parts of
/// the Deployment's container the tests look at. Every lookup that finds nothing fails the test, naming what is missing.
/// </summary>
public sealed class KubernetesManifests
{
    private readonly List<(string File, Dictionary<string, object?> Document)> _objects;

    private KubernetesManifests(List<(string File, Dictionary<string, object?> Document)> objects) => _objects = objects;

    public static string Folder => Path.Combine(RepositoryLayout.Root, "deploy", "kubernetes");

    public static KubernetesManifests Load()
    {
        var objects = new List<(string, Dictionary<string, object?>)>();
        foreach (var file in Directory.GetFiles(Folder, "*.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(RepositoryLayout.Root, file);
            objects.AddRange(BlockYaml.ReadDocuments(File.ReadAllText(file), name).Select(document => (name, document)));
        }

        Assert.NotEmpty(objects);
        return new KubernetesManifests(objects);
    }

    /// <summary>The one object of <paramref name="kind"/>.</summary>
    public Dictionary<string, object?> OfKind(string kind)
    {
        var found = _objects.Where(o => o.Document.GetValueOrDefault("kind") as string == kind).ToList();
        Assert.True(found.Count == 1, $"deploy/kubernetes/ holds {found.Count} objects of kind {kind}; the tests expect one.");
        return found[0].Document;
    }

    public Dictionary<string, object?> Deployment => OfKind("Deployment");

    public Dictionary<string, object?> PodSpec => Map(Deployment, "spec", "template", "spec");

    /// <summary>The Deployment's one container.</summary>
    public Dictionary<string, object?> Container
    {
        get
        {
            var containers = List(PodSpec, "containers");
            Assert.True(containers.Count == 1, $"The Deployment has {containers.Count} containers; the tests expect one.");
            return Assert.IsType<Dictionary<string, object?>>(containers[0]);
        }
    }

    /// <summary>
    /// Every environment variable the container gets: its own <c>env</c> entries (with <c>value</c>, or null for a
    /// <c>valueFrom</c>) and, through <c>envFrom</c>, the ConfigMap's data. An <c>env</c> entry wins over the ConfigMap,
    /// as in Kubernetes.
    /// </summary>
    public IReadOnlyList<EnvironmentVariable> Environment
    {
        get
        {
            var variables = new List<EnvironmentVariable>();
            var own = OptionalList(Container, "env").Select(entry => Assert.IsType<Dictionary<string, object?>>(entry)).ToList();
            var ownNames = own.Select(entry => Text(entry, "name")).ToHashSet(StringComparer.Ordinal);
            var configMap = OfKind("ConfigMap");
            var configMapName = Text(Map(configMap, "metadata"), "name");
            var fromConfigMap = OptionalList(Container, "envFrom")
                .Select(source => Assert.IsType<Dictionary<string, object?>>(source))
                .Any(source => source.GetValueOrDefault("configMapRef") is Dictionary<string, object?> reference
                    && reference.GetValueOrDefault("name") as string == configMapName);
            Assert.True(fromConfigMap, $"The container does not take the ConfigMap {configMapName} through envFrom.");
            foreach (var (name, value) in OptionalMap(configMap, "data"))
            {
                if (!ownNames.Contains(name))
                {
                    variables.Add(new EnvironmentVariable(name, Assert.IsType<string>(value), "configmap.yaml"));
                }
            }

            foreach (var entry in own)
            {
                var value = entry.GetValueOrDefault("value");
                Assert.True(value is string || entry.ContainsKey("valueFrom"), $"The env entry {Text(entry, "name")} has neither a string value nor valueFrom.");
                variables.Add(new EnvironmentVariable(Text(entry, "name"), value as string, "deployment.yaml"));
            }

            return variables;
        }
    }

    /// <summary>The container port a probe or Service names, by number or by the container port's name.</summary>
    public int ContainerPort(string portOrName)
    {
        var ports = List(Container, "ports").Select(port => Assert.IsType<Dictionary<string, object?>>(port)).ToList();
        var match = ports.FirstOrDefault(port =>
            port.GetValueOrDefault("name") as string == portOrName || port.GetValueOrDefault("containerPort") as string == portOrName);
        Assert.True(match is not null, $"The container has no port named or numbered '{portOrName}'.");
        return WholeNumber(match, "containerPort");
    }

    public static Dictionary<string, object?> Map(Dictionary<string, object?> node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            Assert.True(current.GetValueOrDefault(key) is Dictionary<string, object?>, $"No mapping '{key}' (on the path {string.Join('.', path)}).");
            current = (Dictionary<string, object?>)current[key]!;
        }

        return current;
    }

    public static List<object?> List(Dictionary<string, object?> node, string key)
    {
        Assert.True(node.GetValueOrDefault(key) is List<object?>, $"No list '{key}'.");
        return (List<object?>)node[key]!;
    }

    public static string Text(Dictionary<string, object?> node, string key)
    {
        Assert.True(node.GetValueOrDefault(key) is string, $"No value '{key}'.");
        return (string)node[key]!;
    }

    public static int WholeNumber(Dictionary<string, object?> node, string key)
    {
        var text = Text(node, key);
        Assert.True(int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value), $"'{key}: {text}' is not a whole number.");
        return value;
    }

    private static List<object?> OptionalList(Dictionary<string, object?> node, string key) =>
        node.ContainsKey(key) ? List(node, key) : [];

    private static Dictionary<string, object?> OptionalMap(Dictionary<string, object?> node, string key) =>
        node.ContainsKey(key) ? Map(node, key) : [];

    /// <summary>One variable; <see cref="Value"/> is null when it comes from a Secret.</summary>
    public sealed record EnvironmentVariable(string Name, string? Value, string File);
}
