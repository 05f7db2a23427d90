namespace PushEx.PubSub;

/// <summary>The backplane could not take a push before its retry deadline; the adapter has already logged the outage.</summary>
internal sealed class BackplaneUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
