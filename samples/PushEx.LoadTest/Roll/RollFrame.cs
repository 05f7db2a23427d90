using System.Buffers.Text;
using System.Text.Json;

namespace PushEx.LoadTest.Roll;

/// <summary>
/// What a roll client needs from one V2 frame <c>[join_ref, ref, topic, event, payload]</c> (PROTOCOL.md §2.2): which
/// of its topics, the event, the ref of a reply and its status, and from a <c>msg</c> the pusher's <c>seq</c> in the
/// data and the history's <c>offset</c> and <c>epoch</c> (docs/recovery.md). Read with one forward pass, no DOM.
/// </summary>
internal readonly record struct RollFrame(int Topic, RollFrame.Kind Event, long Ref, bool Ok, long Seq, long Offset, string? Epoch, bool Recovered)
{
    public enum Kind
    {
        Other,
        Msg,
        Reply,
        Close,
        Error,
        Recovery,
    }

    /// <summary>
    /// Parses <paramref name="message"/>; <see cref="Topic"/> is the index in <paramref name="topics"/> (UTF-8 names),
    /// -1 for another topic (the heartbeat's <c>phoenix</c>). Refs this client sends are numbers; others read as -1.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> message, byte[][] topics, out RollFrame frame)
    {
        frame = default;
        try
        {
            return TryRead(message, topics, out frame);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryRead(ReadOnlySpan<byte> message, byte[][] topics, out RollFrame frame)
    {
        frame = default;
        var reader = new Utf8JsonReader(message);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || !reader.Read())
        {
            return false;
        }

        var reference = -1L;
        if (reader.TokenType == JsonTokenType.String
            && Utf8Parser.TryParse(reader.ValueSpan, out long parsed, out var consumed) && consumed == reader.ValueSpan.Length)
        {
            reference = parsed;
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        var topic = -1;
        for (var i = 0; i < topics.Length; i++)
        {
            if (reader.ValueTextEquals(topics[i]))
            {
                topic = i;
                break;
            }
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        var kind = reader.ValueTextEquals("msg"u8) ? Kind.Msg
            : reader.ValueTextEquals("phx_reply"u8) ? Kind.Reply
            : reader.ValueTextEquals("phx_close"u8) ? Kind.Close
            : reader.ValueTextEquals("phx_error"u8) ? Kind.Error
            : reader.ValueTextEquals("recovery"u8) ? Kind.Recovery
            : Kind.Other;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            frame = new RollFrame(topic, kind, reference, false, -1, -1, null, false);
            return true;
        }

        var (ok, seq, offset, epoch, recovered) = (false, -1L, -1L, (string?)null, false);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                seq = ReadSeq(ref reader);
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                reader.Read();
                offset = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : -1;
            }
            else if (reader.ValueTextEquals("epoch"u8))
            {
                reader.Read();
                epoch = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                ok = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("ok"u8);
            }
            else if (reader.ValueTextEquals("recovered"u8))
            {
                reader.Read();
                recovered = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        frame = new RollFrame(topic, kind, reference, ok, seq, offset, epoch, recovered);
        return true;
    }

    // The pusher's data is {"seq":N,"pad":"…"}; anything else carries no seq.
    private static long ReadSeq(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return -1;
        }

        var seq = -1L;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isSeq = reader.ValueTextEquals("seq"u8);
            reader.Read();
            if (isSeq && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                seq = value;
            }
            else
            {
                reader.Skip();
            }
        }

        return seq;
    }
}
