using System.Text.Json.Serialization;

namespace PushEx.LoadTest.Workers;

/// <summary>The coordinator-worker messages, serialized without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkerCommand))]
[JsonSerializable(typeof(WorkerReport))]
internal sealed partial class WorkerJson : JsonSerializerContext;
