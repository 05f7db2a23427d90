namespace PushEx.AspNetCore.Tests.Infrastructure;

/// <summary>How the server ended a TCP connection, as the client saw it.</summary>
internal enum ConnectionEnd
{
    /// <summary>A FIN: the server closed cleanly, and everything it wrote before arrived.</summary>
    EndOfStream,

    /// <summary>An RST: the server (or its kernel) reset the connection, which may drop bytes still in flight.</summary>
    Reset,
}
