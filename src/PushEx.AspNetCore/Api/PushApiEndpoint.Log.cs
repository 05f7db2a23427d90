using Microsoft.Extensions.Logging;

namespace PushEx.AspNetCore.Api;

internal sealed partial class PushApiEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, EventName = "MalformedBody",
            Message = "A push API request had a body that is not valid JSON; answered 400.")]
        public static partial void MalformedBody(ILogger logger);
    }
}
