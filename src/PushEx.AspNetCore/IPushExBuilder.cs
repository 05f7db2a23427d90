namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddPushEx</c>; add-ons such as the socket handler register through it.</summary>
public interface IPushExBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}
