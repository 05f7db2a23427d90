using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/PushEx.Benchmarks -- --filter '*'   (BenchmarkDotNet's own options apply)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
