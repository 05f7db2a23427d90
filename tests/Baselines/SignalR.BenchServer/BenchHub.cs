using Microsoft.AspNetCore.SignalR;

namespace SignalR.BenchServer;

/// <summary>Clients join any group; the server only pushes, as PushEx does.</summary>
internal sealed class BenchHub(ConnectionCounter counter) : Hub
{
    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);

    public override Task OnConnectedAsync()
    {
        counter.Increment();
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        counter.Decrement();
        return Task.CompletedTask;
    }
}
