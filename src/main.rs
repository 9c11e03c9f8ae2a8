fn main() -> std::process::ExitCode {
    specsearch::cli::main()
}
