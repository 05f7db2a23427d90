using System.Text.Unicode;

namespace PushEx.AspNetCore.Sockets.Connections;

/// <summary>
/// Checks a text message's UTF-8 as its fragments arrive, so that an invalid one is refused at once rather than when
/// the message ends (which a hostile client may never send). Each check covers the bytes since the last, up to the
/// last whole character; a character cut by the fragment's end waits for the next one, unless its first byte can
/// never start a character.
/// </summary>
internal struct Utf8Check
{
    private int _checked;

    /// <summary>False when <paramref name="message"/> (all of it received so far) cannot be UTF-8.</summary>
    public bool Check(ReadOnlySpan<byte> message, bool isWhole)
    {
        var upTo = isWhole ? message.Length : message.Length - UnfinishedTail(message);
        if (!Utf8.IsValid(message[_checked..upTo]))
        {
            return false;
        }

        _checked = upTo;
        return true;
    }

    // How many bytes at the end begin a character that continues in the next fragment.
    private static int UnfinishedTail(ReadOnlySpan<byte> message)
    {
        for (var back = 1; back <= Math.Min(3, message.Length); back++)
        {
            var b = message[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            // A lead byte: the character is unfinished when it needs more bytes than arrived. Bytes that can never
            // lead (C0, C1, F5 and above, ASCII) end nothing: they are checked now.
            var needs = b switch { >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 1 };
            return needs > back ? back : 0;
        }

        return 0;
    }
}
