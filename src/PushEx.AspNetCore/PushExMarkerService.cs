namespace PushEx.AspNetCore;

/// <summary>Registered by <c>AddPushEx</c>, so <c>MapPushEx</c> can tell that it was called.</summary>
internal sealed class PushExMarkerService;
