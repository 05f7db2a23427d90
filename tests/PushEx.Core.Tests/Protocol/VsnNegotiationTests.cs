using PushEx.Protocol;

namespace PushEx.Tests.Protocol;

public sealed class VsnNegotiationTests
{
    [Fact]
    public void Negotiate_VsnMissing_SpeaksV1()
    {
        // PROTOCOL.md §1.3 and §12 #2: a missing vsn is treated as "1.0.0".
        Assert.Same(V1JsonSerializer.Instance, VsnNegotiation.Negotiate(null));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.0.3")]
    public void Negotiate_Vsn1Dot0Dot_SpeaksV1(string vsn)
    {
        Assert.Same(V1JsonSerializer.Instance, VsnNegotiation.Negotiate(vsn));
    }

    [Theory]
    [InlineData("2.0.0")]
    [InlineData("2.0.7")]
    [InlineData("2.0.1-rc")]
    [InlineData("2.0.0+build.5")]
    public void Negotiate_Vsn2Dot0Dot_SpeaksV2(string vsn)
    {
        Assert.Same(V2JsonSerializer.Instance, VsnNegotiation.Negotiate(vsn));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("abc")]
    [InlineData("2.1.0")]
    [InlineData("3.0.0")]
    [InlineData("123.1.1")]
    [InlineData("")]
    [InlineData("1.1.0")]
    [InlineData("0.0.1")]
    [InlineData("2.0")]
    [InlineData("2.0.0.0")]
    [InlineData("2.0.")]
    [InlineData("02.0.0")]
    [InlineData(" 2.0.0")]
    [InlineData("2.0.0 ")]
    [InlineData("v2.0.0")]
    [InlineData("2.0.x")]
    [InlineData("99999999999.0.0")]
    [InlineData("2.0.0-rc.1")]
    [InlineData("1.0.0-beta")]
    public void Negotiate_UnsupportedOrInvalidVsn_ReturnsNull(string vsn)
    {
        // PROTOCOL.md §1.3, §12 #4 and #5: no serializer matches, so the upgrade is refused (403).
        Assert.Null(VsnNegotiation.Negotiate(vsn));
    }

    [Fact]
    public void Negotiate_BuildMetadata_IgnoredAsInSemver()
    {
        Assert.Same(V2JsonSerializer.Instance, VsnNegotiation.Negotiate("2.0.0+build.5"));
    }

    [Fact]
    public void Negotiate_Serializers_ReportTheirVersion()
    {
        Assert.Equal(ProtocolVersion.V1, VsnNegotiation.Negotiate("1.0.0")!.Version);
        Assert.Equal(ProtocolVersion.V2, VsnNegotiation.Negotiate("2.0.0")!.Version);
    }
}
