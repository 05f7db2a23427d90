using Microsoft.Extensions.Options;
using PushEx.AspNetCore.Sockets;
using PushEx.History;

namespace PushEx.AspNetCore;

/// <summary>Refuses settings that cannot work, when the host starts, with a message naming the setting.</summary>
internal sealed class PushExOptionsValidator : IValidateOptions<PushExOptions>
{
    public ValidateOptionsResult Validate(string? name, PushExOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.SocketPath) || options.SocketPath[0] != '/' || options.SocketPath.EndsWith('/'))
        {
            failures.Add($"PushEx:SocketPath must start with '/' and not end with one (got '{options.SocketPath}').");
        }

        if (options.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"PushEx:IdleTimeout must be positive (got {options.IdleTimeout}).");
        }

        if (options.MaxFrameBytes < 1024)
        {
            failures.Add($"PushEx:MaxFrameBytes must be at least 1024 (got {options.MaxFrameBytes}).");
        }

        if (options.MaxChannelsPerSocket < 1)
        {
            failures.Add($"PushEx:MaxChannelsPerSocket must be at least 1 (got {options.MaxChannelsPerSocket}).");
        }

        if (options.MaxTopicLength < 1)
        {
            failures.Add($"PushEx:MaxTopicLength must be at least 1 (got {options.MaxTopicLength}).");
        }

        if (options.MaxChannelsPerPush < 1)
        {
            failures.Add($"PushEx:MaxChannelsPerPush must be at least 1 (got {options.MaxChannelsPerPush}).");
        }

        ValidateClientLimits(options, failures);

        if (options.MaxPushBytes < 1024)
        {
            failures.Add($"PushEx:MaxPushBytes must be at least 1024 (got {options.MaxPushBytes}).");
        }

        // The largest frame the server sends is the largest push plus its topic and join ref, which came in a client
        // frame; a queue that cannot hold it would disconnect every subscriber of that push at once.
        if (options.SocketSendQueueLimit < (long)options.MaxPushBytes + options.MaxFrameBytes)
        {
            failures.Add(
                $"PushEx:SocketSendQueueLimit ({options.SocketSendQueueLimit}) must be at least PushEx:MaxPushBytes ({options.MaxPushBytes}) "
                + $"+ PushEx:MaxFrameBytes ({options.MaxFrameBytes}), so that one socket's send queue can hold the largest push.");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero)
        {
            failures.Add($"PushEx:ShutdownTimeout must be positive (got {options.ShutdownTimeout}).");
        }

        if (options.ShutdownDisconnectWindow < TimeSpan.Zero || options.ShutdownDisconnectWindow > options.ShutdownTimeout)
        {
            failures.Add($"PushEx:ShutdownDisconnectWindow ({options.ShutdownDisconnectWindow}) must be between zero and PushEx:ShutdownTimeout ({options.ShutdownTimeout}).");
        }

        if (options.ProducerMaxBuffer < 1)
        {
            failures.Add($"PushEx:ProducerMaxBuffer must be at least 1 (got {options.ProducerMaxBuffer}).");
        }

        if (options.ProducerMaxConcurrency < 1)
        {
            failures.Add($"PushEx:ProducerMaxConcurrency must be at least 1 (got {options.ProducerMaxConcurrency}).");
        }

        if (options.MaxApiBodyBytes < 1024)
        {
            failures.Add($"PushEx:MaxApiBodyBytes must be at least 1024 (got {options.MaxApiBodyBytes}).");
        }

        if (string.IsNullOrEmpty(options.ApiPath) || options.ApiPath[0] != '/')
        {
            failures.Add($"PushEx:ApiPath must start with '/' (got '{options.ApiPath}').");
        }

        foreach (var origin in options.AllowedOrigins)
        {
            if (!OriginPolicy.IsValidPattern(origin))
            {
                failures.Add($"PushEx:AllowedOrigins has '{origin}', which is not an origin such as 'https://app.example.com' or 'https://*.example.com'.");
            }
        }

        ValidateHistory(options.History, failures);
        ValidateRebalance(options.Rebalance, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // The limits added for hostile clients (issue 15): each rate may be 0 (off), each burst must let one event through.
    private static void ValidateClientLimits(PushExOptions options, List<string> failures)
    {
        if (options.MaxApiBodyDepth is < 2 or > 1024)
        {
            // 2: the body's object and a channel list; beyond 1024 the limit no longer protects a recursive parser.
            failures.Add($"PushEx:MaxApiBodyDepth must be between 2 and 1024 (got {options.MaxApiBodyDepth}).");
        }

        if (options.MaxJoinsPerSecond < 0)
        {
            failures.Add($"PushEx:MaxJoinsPerSecond must be 0 (no limit) or more (got {options.MaxJoinsPerSecond}).");
        }

        if (options.JoinBurst < 1)
        {
            failures.Add($"PushEx:JoinBurst must be at least 1 (got {options.JoinBurst}).");
        }

        if (options.MaxFramesPerSecond < 0)
        {
            failures.Add($"PushEx:MaxFramesPerSecond must be 0 (no limit) or more (got {options.MaxFramesPerSecond}).");
        }

        // A reconnecting client rejoins every channel at once and heartbeats: closing it for that would make it
        // reconnect and do it again, forever.
        if (options.MaxFramesPerSecond > 0 && options.FrameBurst <= options.MaxChannelsPerSocket)
        {
            failures.Add(
                $"PushEx:FrameBurst ({options.FrameBurst}) must be more than PushEx:MaxChannelsPerSocket ({options.MaxChannelsPerSocket}), "
                + "so that a client rejoining all its channels after a reconnect is not closed for it.");
        }

        if (options.MaxSocketsPerSocketId < 0)
        {
            failures.Add($"PushEx:MaxSocketsPerSocketId must be 0 (no limit) or more (got {options.MaxSocketsPerSocketId}).");
        }
    }

    // Checked even while the rebalancer is off, so that turning it on cannot be what breaks a deployment.
    private static void ValidateRebalance(RebalanceOptions rebalance, List<string> failures)
    {
        if (rebalance.Interval <= TimeSpan.Zero)
        {
            failures.Add($"PushEx:Rebalance:Interval must be positive (got {rebalance.Interval}).");
        }

        if (!(rebalance.Tolerance >= 0) || double.IsInfinity(rebalance.Tolerance))
        {
            failures.Add($"PushEx:Rebalance:Tolerance must be a fraction of 0 or more, such as 0.10 (got {rebalance.Tolerance}).");
        }

        if (rebalance.MaxClosesPerSecond < 1)
        {
            failures.Add($"PushEx:Rebalance:MaxClosesPerSecond must be at least 1 (got {rebalance.MaxClosesPerSecond}).");
        }
        else if (rebalance.Interval > TimeSpan.Zero && rebalance.MaxClosesPerSecond * rebalance.Interval.TotalSeconds < 1)
        {
            // A round closes at most MaxClosesPerSecond × Interval sockets: below one it could never close any.
            failures.Add(
                $"PushEx:Rebalance:MaxClosesPerSecond ({rebalance.MaxClosesPerSecond}) × PushEx:Rebalance:Interval ({rebalance.Interval}) must be at least 1 socket per round.");
        }
    }

    // Checked even while history is off, so that turning it on cannot be what breaks a deployment.
    private static void ValidateHistory(HistoryOptions history, List<string> failures)
    {
        if (history.Window <= TimeSpan.Zero)
        {
            failures.Add($"PushEx:History:Window must be positive (got {history.Window}).");
        }

        if (history.MaxPushesPerTopic < 0)
        {
            failures.Add($"PushEx:History:MaxPushesPerTopic must be 0 (no history) or more (got {history.MaxPushesPerTopic}).");
        }

        if (history.MaxTotalPushes < 0)
        {
            failures.Add($"PushEx:History:MaxTotalPushes must be 0 or more (got {history.MaxTotalPushes}).");
        }

        if (history.MaxTotalBytes < 0)
        {
            failures.Add($"PushEx:History:MaxTotalBytes must be 0 or more (got {history.MaxTotalBytes}).");
        }

        // A position forgotten before its pushes expire would restart the topic's offsets while clients still resume
        // from the old ones: every recovery within the window would fail.
        if (history.PositionRetention < history.Window)
        {
            failures.Add($"PushEx:History:PositionRetention ({history.PositionRetention}) must be at least PushEx:History:Window ({history.Window}).");
        }

        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < history.Rules.Count; i++)
        {
            var rule = history.Rules[i];
            if (rule is null)
            {
                failures.Add($"PushEx:History:Rules:{i} is missing.");
                continue;
            }

            if (string.IsNullOrEmpty(rule.Prefix))
            {
                failures.Add($"PushEx:History:Rules:{i}:Prefix must not be empty (PushEx:History:MaxPushesPerTopic is the rule for every topic).");
            }
            else if (!prefixes.Add(rule.Prefix))
            {
                failures.Add($"PushEx:History:Rules:{i}:Prefix '{rule.Prefix}' is the prefix of an earlier rule; which one applies would be ambiguous.");
            }

            if (rule.MaxPushes < 0)
            {
                failures.Add($"PushEx:History:Rules:{i}:MaxPushes must be 0 (no history) or more (got {rule.MaxPushes}).");
            }
        }
    }
}
