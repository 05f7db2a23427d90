using PushEx.Sample;

// The sample server: `dotnet run --project samples/PushEx.Sample` listens on http://localhost:4004.
await SampleServer.Create(args).RunAsync();
