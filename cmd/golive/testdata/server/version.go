package main

func version() string { return "one" }
