using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using PushEx.AspNetCore.Tests.Infrastructure;

namespace PushEx.AspNetCore.Tests.Sockets;

/// <summary>
/// Which transport a socket takes: Kestrel's connection itself where PushEx is wired into Kestrel and the connection
/// allows it, an upgraded request everywhere else; both serve the same session. The
/// <c>pushex.sockets.opened</c> metric's <c>pushex.transport</c> tag says which.
/// </summary>
public sealed class SocketTransportPathTests
{
    private const string HeartbeatReply = """[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""";

    [Fact]
    public async Task WiredIntoKestrel_TheSocketRunsOnTheConnection()
    {
        await using var host = await PushExTestHost.StartAsync();
        await AssertSocketTakesAsync(host, "connection");
    }

    [Fact]
    public async Task SwitchedOffByOption_TheSocketIsAnUpgradedRequest()
    {
        await using var host = await PushExTestHost.StartAsync(options => options.ServeSocketsOnConnection = false);
        await AssertSocketTakesAsync(host, "upgrade");
    }

    [Fact]
    public async Task NotWiredIntoKestrel_TheSocketIsAnUpgradedRequest()
    {
        await using var host = await PushExTestHost.StartAsync(configureListen: _ => { });
        await AssertSocketTakesAsync(host, "upgrade");
    }

    [Fact]
    public async Task TlsBelowPushEx_TheSocketRunsOnTheConnection()
    {
        using var certificate = SelfSignedCertificate();
        await using var host = await PushExTestHost.StartAsync(configureListen: listen =>
        {
            listen.UseHttps(certificate);
            listen.UsePushEx();
        });

        await AssertSocketTakesAsync(host, "connection", Trusting(certificate));
    }

    [Fact]
    public async Task TlsAbovePushEx_TheSocketIsAnUpgradedRequest()
    {
        using var certificate = SelfSignedCertificate();
        await using var host = await PushExTestHost.StartAsync(configureListen: listen =>
        {
            // PushEx sees the encrypted bytes here, so it must leave the socket to the upgraded request.
            listen.UsePushEx();
            listen.UseHttps(certificate);
        });

        await AssertSocketTakesAsync(host, "upgrade", Trusting(certificate));
    }

    [Fact]
    public async Task Http2WebSocket_IsAnUpgradedRequest()
    {
        using var certificate = SelfSignedCertificate();
        await using var host = await PushExTestHost.StartAsync(configureListen: listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(certificate);
            listen.UsePushEx();
        });

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => IsTheOne(presented, certificate);
        using var invoker = new HttpMessageInvoker(handler);
        await AssertSocketTakesAsync(host, "upgrade", options =>
        {
            options.HttpVersion = HttpVersion.Version20;
            options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }, invoker);
    }

    [Fact]
    public async Task HandshakeAfterAnotherRequestOnTheSameConnection_RunsOnTheConnection()
    {
        await using var host = await PushExTestHost.StartAsync();
        using var opened = new PushMeterReader(host.Services, "pushex.sockets.opened", ("pushex.transport", "connection"));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        var authority = host.BaseAddress.Authority;

        // A keep-alive request first: the handshake is the connection's second request.
        await WriteAsync(stream, $"GET /no-such-page HTTP/1.1\r\nHost: {authority}\r\n\r\n");
        var first = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 404", first, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 0", first, StringComparison.Ordinal);

        await WriteAsync(stream, $"GET /push_socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);

        // The accept key for RFC 6455's own example key.
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head, StringComparison.Ordinal);

        var heartbeat = Encoding.UTF8.GetBytes("""[null,"1","phoenix","heartbeat",{}]""");
        await stream.WriteAsync(MaskedTextFrame(heartbeat), TestContext.Current.CancellationToken);
        var frameHead = await ReadExactlyAsync(stream, 2);
        Assert.Equal(0x81, frameHead[0]);
        Assert.Equal(HeartbeatReply, Encoding.UTF8.GetString(await ReadExactlyAsync(stream, frameHead[1])));
        Assert.Equal(1, opened.Total);
    }

    private static async Task AssertSocketTakesAsync(
        PushExTestHost host,
        string transport,
        Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null,
        HttpMessageInvoker? invoker = null)
    {
        using var opened = new PushMeterReader(host.Services, "pushex.sockets.opened", ("pushex.transport", transport));
        await using var client = invoker is null
            ? await TestWebSocket.ConnectAsync(host.SocketUri(), configure)
            : await TestWebSocket.ConnectAsync(host.SocketUri(), configure, invoker);

        await client.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");
        Assert.Equal(HeartbeatReply, await client.ReceiveTextAsync());
        Assert.Equal(1, opened.Total);
    }

    // Trusts the test's own certificate, and only it.
    private static Action<System.Net.WebSockets.ClientWebSocketOptions> Trusting(X509Certificate2 certificate) =>
        options => options.RemoteCertificateValidationCallback = (_, presented, _, _) => IsTheOne(presented, certificate);

    private static bool IsTheOne(X509Certificate? presented, X509Certificate2 certificate) =>
        presented is not null && presented.GetCertHashString() == certificate.Thumbprint;

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        // Through PKCS#12, so that the private key is one TLS can use on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    private static byte[] MaskedTextFrame(byte[] payload)
    {
        var frame = new byte[6 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        RandomNumberGenerator.Fill(frame.AsSpan(2, 4));
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ frame[2 + (i & 3)]);
        }

        return frame;
    }

    private static Task WriteAsync(NetworkStream stream, string text) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), TestContext.Current.CancellationToken).AsTask();

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            head.Append((char)(await ReadExactlyAsync(stream, 1))[0]);
        }

        return head.ToString();
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestWebSocket.DefaultTimeout);
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }
}
