namespace PushEx.Sample;

/// <summary>A valid token's content: who it names, and until when.</summary>
public sealed record DemoToken(string User, DateTimeOffset ExpiresAt);
